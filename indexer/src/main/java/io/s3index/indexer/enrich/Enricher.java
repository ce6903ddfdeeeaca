package io.s3index.indexer.enrich;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.indexer.IndexerStats;
import io.s3index.shared.events.ETags;
import io.s3index.shared.events.EventLimits;
import io.s3index.shared.events.InvalidEventException;
import io.s3index.shared.failure.Failures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectTaggingResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Fills in content type, storage class and user metadata of applied creates with one {@code
 * HeadObject} each, off the consumer's path: batches queue the creates in {@code
 * enrichment_queue} in their own transaction and wake the enricher, so S3's latency never holds
 * up ingestion and a crash loses nothing.
 *
 * <p>The enricher claims due rows (oldest due first, {@code FOR UPDATE SKIP LOCKED}, each for a
 * lease), so several indexers never HEAD the same object, and a claimer that dies leaves its rows
 * due again when the lease ends. Calls run on a bounded pool with the SDK's retries. A 404 means
 * the object is already gone (its delete event will come); an ETag that differs from the event's
 * means a newer write (its own event will come). A failed call backs off per row (doubling, up
 * to {@link Settings#maxBackoff()}); a permanent error (400, 403, 405, 501, or a value the index
 * cannot hold) is given up after {@link Settings#maxAttempts()} tries and keeps its error on the
 * queue row. Rows that back off are due later than new ones, so new rows are never starved.
 * Results are written in batches, each guarded by the row's sequencer; a result the database
 * refuses is given up on its own, not with its batch.
 */
public final class Enricher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Enricher.class);
  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String CLAIM = SQL.locate(Enricher.class, "claim");
  private static final String STORE = SQL.locate(Enricher.class, "store-results");
  private static final String FAILURES = SQL.locate(Enricher.class, "record-failures");
  private static final String BACKLOG = SQL.locate(Enricher.class, "backlog");
  private static final int WRITE_BATCH = 500;

  /**
   * How the enricher works.
   *
   * @param concurrency parallel HeadObject calls
   * @param lease how long a claimed row stays this enricher's before others may take it
   * @param sweepInterval how often to look for due rows when not woken
   * @param maxAttempts tries before a permanent error is given up
   * @param maxBackoff longest pause before a failed row is due again
   */
  public record Settings(int concurrency, Duration lease, Duration sweepInterval, int maxAttempts,
      Duration maxBackoff, boolean tags) {

    public static Settings defaults(int concurrency) {
      return new Settings(concurrency, Duration.ofMinutes(5), Duration.ofSeconds(1), 3, Duration.ofMinutes(15), false);
    }

    public Settings withSweepInterval(Duration interval) {
      return new Settings(concurrency, lease, interval, maxAttempts, maxBackoff, tags);
    }

    /** With GetObjectTagging beside each HeadObject, storing the object's tags. */
    public Settings withTags(boolean withTags) {
      return new Settings(concurrency, lease, sweepInterval, maxAttempts, maxBackoff, withTags);
    }
  }

  private record Claim(String bucket, String key, String sequencer, int attempts, String versionId, String etag) {}

  /** What one call found: store (or only dequeue), or a failure to record. */
  private record Result(Claim row, boolean store, String contentType, String storageClass,
      String metadata, String tags, String error, boolean permanent) {

    static Result stored(Claim row, String contentType, String storageClass, String metadata, String tags) {
      return new Result(row, true, contentType, storageClass, metadata, tags, null, false);
    }

    static Result dequeued(Claim row) {
      return new Result(row, false, null, null, null, null, null, false);
    }

    static Result failed(Claim row, String error, boolean permanent) {
      return new Result(row, false, null, null, null, null, error, permanent);
    }

    boolean isFailure() {
      return error != null;
    }
  }

  private final S3Client s3;
  private final Jdbi jdbi;
  private final Settings settings;
  private final IndexerStats stats;
  private final ExecutorService workers;
  private final ScheduledExecutorService background;
  private final Thread claimer;
  private final BlockingQueue<Object> wakeUps = new LinkedBlockingQueue<>();
  private final BlockingQueue<Result> results = new LinkedBlockingQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ObjectMapper mapper = new ObjectMapper();
  private volatile boolean running = true;

  public Enricher(S3Client s3, Jdbi jdbi, Settings settings, IndexerStats stats) {
    this.s3 = s3;
    this.jdbi = jdbi;
    this.settings = settings;
    this.stats = stats;
    this.workers = Executors.newFixedThreadPool(settings.concurrency(), daemon("enricher"));
    this.background = Executors.newSingleThreadScheduledExecutor(daemon("enricher-writer"));
    background.scheduleWithFixedDelay(this::writeResults, 100, 100, TimeUnit.MILLISECONDS);
    background.scheduleWithFixedDelay(this::measureBacklog, 0, 5, TimeUnit.SECONDS);
    this.claimer = daemon("enricher-claimer").newThread(this::claimLoop);
    claimer.start();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** New rows may be due: claim now rather than at the next sweep. Never blocks. */
  public void wake() {
    wakeUps.offer(Boolean.TRUE);
  }

  /** Calls claimed and not yet written back (for tests and metrics). */
  public int inFlight() {
    return inFlight.get();
  }

  private void claimLoop() {
    // Enough claimed rows to keep every worker busy between two writes of results (every 100 ms).
    int capacity = settings.concurrency() * 32;
    while (running) {
      int free = capacity - inFlight.get();
      int claimed = 0;
      if (free > 0) {
        try {
          List<Claim> rows = claim(free);
          claimed = rows.size();
          for (Claim row : rows) {
            inFlight.incrementAndGet();
            workers.execute(() -> results.add(head(row)));
          }
        } catch (RuntimeException e) {
          if (!running) {
            // Closing: the workers refuse new rows; what was claimed is due again after its lease.
            break;
          }
          log.warn("cannot claim rows to enrich ({}); trying again later", e.toString());
        }
      }
      try {
        // More may be due right away when this claim filled up; otherwise wait to be woken.
        if (claimed == 0 || claimed < free) {
          wakeUps.poll(settings.sweepInterval().toMillis(), TimeUnit.MILLISECONDS);
        } else {
          wakeUps.poll(20, TimeUnit.MILLISECONDS);
        }
        wakeUps.clear();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private List<Claim> claim(int limit) {
    return jdbi.withHandle(h -> h.createQuery(CLAIM)
        .bind("limit", limit)
        .bind("leaseSeconds", (double) settings.lease().toMillis() / 1000)
        .map((rs, ctx) -> new Claim(rs.getString("bucket"), rs.getString("key"), rs.getString("sequencer"),
            rs.getInt("attempts"), rs.getString("version_id"), rs.getString("etag")))
        .list());
  }

  private Result head(Claim row) {
    try {
      HeadObjectResponse head = s3.headObject(b -> {
        b.bucket(row.bucket()).key(row.key());
        if (row.versionId() != null) {
          b.versionId(row.versionId());
        }
      });
      String etag = ETags.normalize(head.eTag());
      if (row.versionId() == null && row.etag() != null && etag != null && !etag.equals(row.etag())) {
        return Result.dequeued(row);
      }
      Map<String, String> metadata = new TreeMap<>();
      head.metadata().forEach((k, v) -> metadata.put(
          EventLimits.checkText(k.toLowerCase(Locale.ROOT), "metadata name"),
          EventLimits.checkText(v, "metadata \"" + k + "\"")));
      String storageClass = head.storageClassAsString() == null ? "STANDARD" : head.storageClassAsString();
      String contentType = head.contentType() == null ? null
          : EventLimits.checkContentType(EventLimits.checkText(
              head.contentType().strip().toLowerCase(Locale.ROOT), "content type"), "HeadObject");
      return Result.stored(row, contentType == null || contentType.isEmpty() ? null : contentType,
          EventLimits.checkText(storageClass, "storage class"), mapper.writeValueAsString(metadata),
          settings.tags() ? tags(row) : null);
    } catch (NoSuchKeyException e) {
      return Result.dequeued(row);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Result.dequeued(row);
      }
      int status = e.statusCode();
      boolean permanent = status == 400 || status == 403 || status == 405 || status == 501;
      return failure(row, "HeadObject answered " + status
          + (e.awsErrorDetails() == null ? "" : " " + e.awsErrorDetails().errorCode()), permanent);
    } catch (InvalidEventException e) {
      return failure(row, e.getMessage(), true);
    } catch (SdkClientException e) {
      return failure(row, e.getMessage(), false);
    } catch (RuntimeException | JsonProcessingException e) {
      return failure(row, e.toString(), false);
    }
  }

  /**
   * The object's tags as JSON ({@code GetObjectTagging}), or null when the store does not keep
   * tags (it answers 501 or 405): then they stay unknown rather than empty.
   */
  private String tags(Claim row) throws JsonProcessingException {
    try {
      GetObjectTaggingResponse tagging = s3.getObjectTagging(b -> {
        b.bucket(row.bucket()).key(row.key());
        if (row.versionId() != null) {
          b.versionId(row.versionId());
        }
      });
      Map<String, String> tags = new TreeMap<>();
      for (Tag tag : tagging.tagSet()) {
        tags.put(EventLimits.checkText(tag.key(), "tag name"),
            EventLimits.checkText(tag.value(), "tag \"" + tag.key() + "\""));
      }
      return mapper.writeValueAsString(tags);
    } catch (S3Exception e) {
      if (e.statusCode() == 501 || e.statusCode() == 405) {
        if (!tagsUnsupported) {
          tagsUnsupported = true;
          log.warn("the object store does not keep tags (GetObjectTagging answered {}): tags stay unknown",
              e.statusCode());
        }
        return null;
      }
      throw e;
    }
  }

  private volatile boolean tagsUnsupported;

  private Result failure(Claim row, String error, boolean permanent) {
    stats.enrichmentFailed();
    log.warn("HeadObject {}/{} failed (attempt {}): {}", row.bucket(), row.key(), row.attempts(), error);
    return Result.failed(row, error, permanent);
  }

  private void writeResults() {
    try {
      while (!results.isEmpty()) {
        List<Result> batch = new ArrayList<>(WRITE_BATCH);
        results.drainTo(batch, WRITE_BATCH);
        if (batch.isEmpty()) {
          return;
        }
        write(batch);
        inFlight.addAndGet(-batch.size());
        // Room to claim more.
        wake();
      }
    } catch (RuntimeException e) {
      // What was not written stays claimed in the queue and is due again when its lease ends.
      log.warn("storing enrichment results failed ({}); they are retried when their lease ends", e.toString());
    }
  }

  private void write(List<Result> batch) {
    List<Result> done = batch.stream().filter(r -> !r.isFailure()).toList();
    List<Result> failed = new ArrayList<>(batch.stream().filter(Result::isFailure).toList());
    if (!done.isEmpty()) {
      try {
        store(done);
        stats.enriched(done.size());
      } catch (RuntimeException e) {
        if (!Failures.isDataError(e)) {
          throw e;
        }
        // One result the database refuses must not cost the others: store them one by one.
        for (Result r : done) {
          try {
            store(List.of(r));
            stats.enriched(1);
          } catch (RuntimeException one) {
            if (!Failures.isDataError(one)) {
              throw one;
            }
            failed.add(Result.failed(r.row(), "refused by the database: " + Failures.describe(one), true));
          }
        }
      }
    }
    if (!failed.isEmpty()) {
      recordFailures(failed);
    }
  }

  private void store(List<Result> batch) {
    jdbi.useHandle(h -> h.createUpdate(STORE)
        .bindArray("buckets", String.class, batch.stream().map(r -> r.row().bucket()).toList())
        .bindArray("keys", String.class, batch.stream().map(r -> r.row().key()).toList())
        .bindArray("sequencers", String.class, batch.stream().map(r -> r.row().sequencer()).toList())
        .bindArray("contentTypes", String.class, batch.stream().map(Result::contentType).toList())
        .bindArray("storageClasses", String.class, batch.stream().map(Result::storageClass).toList())
        .bindArray("metadata", String.class, batch.stream().map(Result::metadata).toList())
        .bindArray("tags", String.class, batch.stream().map(Result::tags).toList())
        .bind("withTags", settings.tags())
        .bindArray("store", Boolean.class, batch.stream().map(Result::store).toList())
        .execute());
  }

  private void recordFailures(List<Result> failed) {
    jdbi.useHandle(h -> h.createUpdate(FAILURES)
        .bindArray("buckets", String.class, failed.stream().map(r -> r.row().bucket()).toList())
        .bindArray("keys", String.class, failed.stream().map(r -> r.row().key()).toList())
        .bindArray("sequencers", String.class, failed.stream().map(r -> r.row().sequencer()).toList())
        .bindArray("errors", String.class, failed.stream().map(r -> printable(r.error())).toList())
        .bindArray("delays", Double.class, failed.stream().map(r -> delaySeconds(r.row().attempts())).toList())
        .bindArray("giveUp", Boolean.class, failed.stream()
            .map(r -> r.permanent() && r.row().attempts() >= settings.maxAttempts()).toList())
        .execute());
  }

  /** One second after the first failure, doubling with each, up to the longest backoff. */
  private double delaySeconds(int attempts) {
    double delay = Math.pow(2, Math.min(Math.max(attempts - 1, 0), 30));
    return Math.min(delay, settings.maxBackoff().toSeconds());
  }

  private static String printable(String s) {
    return s.replace('\0', '\uFFFD');
  }

  private void measureBacklog() {
    try {
      jdbi.useHandle(h -> h.createQuery(BACKLOG).map((rs, ctx) -> {
        stats.enrichmentQueue(rs.getLong("waiting"), rs.getDouble("oldest_seconds"), rs.getLong("given_up"));
        return true;
      }).one());
    } catch (RuntimeException e) {
      log.debug("cannot measure the enrichment backlog now ({})", e.toString());
    }
  }

  @Override
  public void close() {
    running = false;
    claimer.interrupt();
    workers.shutdown();
    try {
      claimer.join(5_000);
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    background.shutdown();
    try {
      background.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writeResults();
    s3.close();
  }
}
