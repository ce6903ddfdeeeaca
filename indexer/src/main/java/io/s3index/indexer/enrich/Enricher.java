package io.s3index.indexer.enrich;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.indexer.IndexerStats;
import io.s3index.indexer.apply.AppliedCreate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Fills in content type, storage class and user metadata of applied creates with one {@code
 * HeadObject} each, off the consumer's path: the consumer hands over the creates it just
 * committed and moves on, so S3's latency never holds up ingestion.
 *
 * <p>Durable: the rows to enrich are flagged in the database in the batch's own transaction. The
 * in-memory queue is only the fast path; a sweep takes flagged rows that were dropped (full
 * queue), lost (crash) or failed, at start and then periodically. Calls run on a bounded pool
 * with the SDK's retries and backoff; a 404 means the object is already gone (its delete event
 * will come); an ETag that differs from the event's means a newer write (its own event will
 * come). Results are written in batches, each guarded by the row's sequencer.
 */
public final class Enricher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Enricher.class);
  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String STORE = SQL.locate(Enricher.class, "store-results");
  private static final String PENDING = SQL.locate(Enricher.class, "pending");
  private static final int QUEUE_CAPACITY = 100_000;
  private static final int WRITE_BATCH = 500;

  private final S3Client s3;
  private final Jdbi jdbi;
  private final IndexerStats stats;
  private final ExecutorService workers;
  private final ScheduledExecutorService background;
  private final BlockingQueue<AppliedCreate> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final BlockingQueue<Result> results = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final ObjectMapper mapper = new ObjectMapper();
  private volatile boolean running = true;

  private record Result(AppliedCreate row, boolean store, String contentType, String storageClass,
      String metadata) {}

  public Enricher(S3Client s3, Jdbi jdbi, int concurrency, Duration sweepInterval, IndexerStats stats) {
    this.s3 = s3;
    this.jdbi = jdbi;
    this.stats = stats;
    this.workers = Executors.newFixedThreadPool(concurrency, daemon("enricher"));
    this.background = Executors.newScheduledThreadPool(2, daemon("enricher-background"));
    for (int i = 0; i < concurrency; i++) {
      workers.execute(this::work);
    }
    background.scheduleWithFixedDelay(this::writeResults, 100, 100, TimeUnit.MILLISECONDS);
    background.scheduleWithFixedDelay(this::sweep, 0, sweepInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Hands over freshly applied creates; never blocks (what does not fit waits for the sweep). */
  public void submit(List<AppliedCreate> rows) {
    for (AppliedCreate row : rows) {
      if (inFlight.add(id(row)) && !queue.offer(row)) {
        inFlight.remove(id(row));
      }
    }
  }

  /** Rows waiting in memory (for tests and metrics). */
  public int backlog() {
    return queue.size() + results.size();
  }

  private static String id(AppliedCreate row) {
    return row.bucket() + "\u0000" + row.key() + "\u0000" + row.sequencer();
  }

  private void work() {
    while (running) {
      AppliedCreate row;
      try {
        row = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (row == null) {
        continue;
      }
      Result result = head(row);
      if (result == null) {
        inFlight.remove(id(row));
      } else {
        try {
          results.put(result);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** The result to store, or null when the call failed (the row stays flagged for a sweep). */
  private Result head(AppliedCreate row) {
    try {
      HeadObjectResponse head = s3.headObject(b -> {
        b.bucket(row.bucket()).key(row.key());
        if (row.versionId() != null) {
          b.versionId(row.versionId());
        }
      });
      String etag = head.eTag() == null ? null : head.eTag().replace("\"", "");
      if (row.versionId() == null && row.etag() != null && etag != null && !etag.equals(row.etag())) {
        return new Result(row, false, null, null, null);
      }
      Map<String, String> metadata = new TreeMap<>();
      head.metadata().forEach((k, v) -> metadata.put(k.toLowerCase(Locale.ROOT), v));
      String storageClass = head.storageClassAsString() == null ? "STANDARD" : head.storageClassAsString();
      String contentType = head.contentType() == null ? null : head.contentType().toLowerCase(Locale.ROOT);
      return new Result(row, true, contentType, storageClass, mapper.writeValueAsString(metadata));
    } catch (NoSuchKeyException e) {
      return new Result(row, false, null, null, null);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return new Result(row, false, null, null, null);
      }
      stats.enrichmentFailed();
      log.warn("HeadObject {}/{} failed ({}); left for the next sweep", row.bucket(), row.key(),
          e.statusCode());
      return null;
    } catch (RuntimeException | JsonProcessingException e) {
      stats.enrichmentFailed();
      log.warn("HeadObject {}/{} failed ({}); left for the next sweep", row.bucket(), row.key(),
          e.toString());
      return null;
    }
  }

  private void writeResults() {
    try {
      while (!results.isEmpty()) {
        List<Result> batch = new ArrayList<>(WRITE_BATCH);
        results.drainTo(batch, WRITE_BATCH);
        if (batch.isEmpty()) {
          return;
        }
        try {
          jdbi.useHandle(h -> h.createUpdate(STORE)
              .bindArray("buckets", String.class, batch.stream().map(r -> r.row().bucket()).toList())
              .bindArray("keys", String.class, batch.stream().map(r -> r.row().key()).toList())
              .bindArray("sequencers", String.class, batch.stream().map(r -> r.row().sequencer()).toList())
              .bindArray("contentTypes", String.class, batch.stream().map(Result::contentType).toList())
              .bindArray("storageClasses", String.class, batch.stream().map(Result::storageClass).toList())
              .bindArray("metadata", String.class, batch.stream().map(Result::metadata).toList())
              .bindArray("store", Boolean.class, batch.stream().map(Result::store).toList())
              .execute());
          stats.enriched(batch.size());
        } catch (RuntimeException e) {
          // The rows stay flagged in the database; the sweep brings them back.
          log.warn("storing {} enrichment results failed ({}); they will be retried", batch.size(), e.toString());
        } finally {
          batch.forEach(r -> inFlight.remove(id(r.row())));
        }
      }
    } catch (RuntimeException e) {
      log.error("enrichment writer failed", e);
    }
  }

  private void sweep() {
    if (!running || queue.size() > QUEUE_CAPACITY / 2) {
      return;
    }
    try {
      List<AppliedCreate> pending = jdbi.withHandle(h -> h.createQuery(PENDING)
          .bind("limit", QUEUE_CAPACITY / 4)
          .map((rs, ctx) -> new AppliedCreate(rs.getString("bucket"), rs.getString("key"),
              rs.getString("sequencer"), rs.getString("version_id"), rs.getString("etag")))
          .list());
      if (!pending.isEmpty()) {
        log.debug("sweep found {} rows waiting for enrichment", pending.size());
        submit(pending);
      }
    } catch (RuntimeException e) {
      log.warn("enrichment sweep failed ({}); trying again later", e.toString());
    }
  }

  @Override
  public void close() {
    running = false;
    background.shutdown();
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
      background.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writeResults();
    s3.close();
  }
}
