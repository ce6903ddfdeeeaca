package io.s3index.ops.rebuild;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.shared.events.ObjectEvent;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;

/**
 * Copies replayed events into {@code objects_rebuild_events}, the rebuild's staging table: one
 * {@code COPY} per batch, run on a thread of its own so that the database stores one batch while
 * the caller polls and parses the next. At most one batch is in flight.
 *
 * <p>Not thread-safe: one caller.
 */
final class StagingCopier implements AutoCloseable {

  private static final String COPY = "COPY objects_rebuild_events (ord, bucket, key, size, etag, "
      + "content_type, version_id, sequencer, deleted, removal, metadata, tags, event_time) FROM STDIN";

  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "rebuild-copy");
    t.setDaemon(true);
    return t;
  });
  private final Jdbi jdbi;
  private Future<?> inFlight = CompletableFuture.completedFuture(null);
  private long ord;

  StagingCopier(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** Queues a batch; waits first for the previous one, and rethrows its failure. */
  void copy(List<ObjectEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    byte[] rows = encode(events);
    finish();
    inFlight = thread.submit(() -> jdbi.withHandle(h -> h.getConnection()
        .unwrap(PGConnection.class).getCopyAPI().copyIn(COPY, new ByteArrayInputStream(rows))));
  }

  /** Waits until every queued batch is stored (each commits on its own). */
  void finish() {
    try {
      inFlight.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while copying events", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r
          : new IllegalStateException("copying events failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** The batch in COPY's text format, with ordinals continuing from the previous batch. */
  private byte[] encode(List<ObjectEvent> events) {
    StringBuilder b = new StringBuilder(events.size() * 200);
    for (ObjectEvent e : events) {
      if (e.kind() == ObjectEvent.Kind.TAGGED) {
        continue; // changes no column an event sets; enriched tags are carried over at the swap
      }
      b.append(ord++).append('\t');
      field(b, e.bucket());
      field(b, e.key());
      b.append(e.size()).append('\t');
      field(b, e.etag());
      field(b, e.contentType());
      field(b, e.versionId());
      field(b, e.sequencer());
      b.append(e.kind() != ObjectEvent.Kind.CREATED).append('\t');
      b.append(e.kind() == ObjectEvent.Kind.VERSION_REMOVED).append('\t');
      field(b, BatchWriter.metadataJson(e.metadata()));
      field(b, BatchWriter.metadataJson(e.tags()));
      b.append(e.eventTime()).append('\n');
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One column and its tab, escaped for COPY's text format (null as \N). */
  static void field(StringBuilder b, String value) {
    if (value == null) {
      b.append("\\N\t");
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> b.append(c);
      }
    }
    b.append('\t');
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
