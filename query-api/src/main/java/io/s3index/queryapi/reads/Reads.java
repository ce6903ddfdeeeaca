package io.s3index.queryapi.reads;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.s3index.shared.db.Database;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.s3index.queryapi.problem.Problems;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the API reads: the primary, or one of its streaming replicas ({@code S3INDEX_DB_READ_URLS}).
 *
 * <p>Consistency across servers comes from the change stamp every walk already carries: a walk's
 * cursors (and the change feed's) hold the database snapshot they were read in. A server may
 * serve a cursor's next page only when its own snapshot <em>covers</em> that one (every transaction
 * the cursor's snapshot saw committed, it sees committed too); that is checked in the same
 * repeatable-read transaction that then reads the page, so the page is read in a snapshot at
 * least as new as every page before it, whichever server or API instance served those. A replica
 * that has not caught up is skipped; if none has, the primary answers (it covers every snapshot),
 * at once: no read waits for a replica. Reads without a cursor go to any replica in rotation.
 *
 * <p>A replica leaves the rotation when it cannot be reached (a failed read is retried elsewhere)
 * or when it has been behind the primary for longer than {@code S3INDEX_DB_READ_MAX_LAG}; it comes
 * back when it answers and has caught up. Its lag (bytes of WAL and seconds) is a metric.
 */
public final class Reads implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Reads.class);
  private static final Duration CHECK_EVERY = Duration.ofMillis(250);

  /**
   * Whether snapshot {@code %s} sees committed every transaction that {@code :b} sees committed:
   * it reaches as far ({@code xmax}), and none it still sees running was committed in {@code :b}
   * (an outcome is the same on every server of a cluster). Sound, not complete: it may answer no
   * for a snapshot that does cover (when what lies between the two {@code xmax} was all aborted);
   * such a read goes to the primary.
   */
  static final String COVERS_TEMPLATE = """
      SELECT pg_snapshot_xmax(s) >= pg_snapshot_xmax(CAST(:b AS pg_snapshot))
         AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(s) x
                         WHERE x < pg_snapshot_xmax(CAST(:b AS pg_snapshot))
                           AND pg_visible_in_snapshot(x, CAST(:b AS pg_snapshot)))
      FROM (SELECT %s AS s) a""";

  /** {@link #COVERS_TEMPLATE} for this transaction's own snapshot. */
  static final String COVERS = String.format(COVERS_TEMPLATE, "pg_current_snapshot()");

  /** One read-only server. */
  static final class Replica {
    final String name;
    final Database database;
    final Jdbi jdbi;
    volatile boolean reachable = true;
    volatile boolean inRotation = true;
    volatile long lagBytes;
    volatile double lagSeconds;
    /** Cursor reads this replica could not serve, not yet caught up (a metric; racy counts are fine). */
    volatile long behindCursors;

    Replica(String name, Database database, Jdbi jdbi) {
      this.name = name;
      this.database = database;
      this.jdbi = jdbi;
    }
  }

  private final Jdbi primary;
  private final List<Replica> replicas;
  private final Duration maxLag;
  private final AtomicInteger next = new AtomicInteger();
  private final Deque<long[]> primaryPositions = new ArrayDeque<>();
  private final ScheduledExecutorService monitor;

  /** Every read on the primary. */
  public static Reads primaryOnly(Jdbi primary) {
    return new Reads(primary, List.of(), Duration.ZERO);
  }

  /**
   * @param replicas the replicas' pools, each with a Jdbi configured as the primary's
   * @param maxLag how long a replica may stay behind the primary before it leaves the rotation
   */
  public Reads(Jdbi primary, List<ReplicaPool> replicas, Duration maxLag) {
    this.primary = primary;
    List<Replica> list = new ArrayList<>();
    for (ReplicaPool r : replicas) {
      list.add(new Replica(r.name(), r.database(), r.jdbi()));
    }
    this.replicas = List.copyOf(list);
    this.maxLag = maxLag;
    if (this.replicas.isEmpty()) {
      monitor = null;
      return;
    }
    monitor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "replica-monitor");
      t.setDaemon(true);
      return t;
    });
    monitor.scheduleWithFixedDelay(this::check, 0, CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Adds each replica's lag, rotation and passed-on cursor reads to {@code metrics}. */
  public void bindTo(MeterRegistry metrics) {
    {
      for (Replica r : this.replicas) {
        Gauge.builder("s3index_replica_lag_bytes", r, x -> x.lagBytes).tag("replica", r.name)
            .description("WAL the replica has not replayed yet").register(metrics);
        Gauge.builder("s3index_replica_lag_seconds", r, x -> x.lagSeconds).tag("replica", r.name)
            .description("how long the replica has been behind the primary's position").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("s3index_replica_cursor_reads_passed_on", r, x -> x.behindCursors)
            .tag("replica", r.name).description("cursor reads sent elsewhere because the replica had not caught up with the cursor")
            .register(metrics);
        Gauge.builder("s3index_replica_in_rotation", r, x -> x.inRotation ? 1 : 0).tag("replica", r.name)
            .description("1 when reads may go to the replica").register(metrics);
      }
    }
  }

  /** A replica's pool, as configured. */
  public record ReplicaPool(String name, Database database, Jdbi jdbi) {}

  /** Runs {@code work} on a replica in rotation, or on the primary when none is. */
  public <T> T any(HandleCallback<T, RuntimeException> work) {
    for (Replica r : rotation()) {
      try {
        return r.jdbi.withHandle(work);
      } catch (RuntimeException e) {
        passOn(r, e);
      }
    }
    return primary.withHandle(work);
  }

  /** Runs {@code work} on the primary. */
  public <T> T primary(HandleCallback<T, RuntimeException> work) {
    return primary.withHandle(work);
  }

  /**
   * Runs {@code work} in a repeatable-read transaction (a walk's first page takes its snapshot
   * there) on a replica in rotation, or on the primary when none is.
   */
  public <T> T fresh(HandleCallback<T, RuntimeException> work) {
    for (Replica r : rotation()) {
      try {
        return r.jdbi.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, work::withHandle);
      } catch (RuntimeException e) {
        passOn(r, e);
      }
    }
    return primary.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, work::withHandle);
  }

  /**
   * Runs {@code work} where the snapshot {@code snapshot} (a cursor's) is covered: on a replica in
   * rotation whose transaction snapshot covers it (checked in the repeatable-read transaction the
   * work then runs in), else on the primary, which covers every snapshot taken anywhere in its
   * cluster. A lagging replica is never waited for: the primary answers at once.
   */
  public <T> T covering(String snapshot, HandleCallback<T, RuntimeException> work) {
    for (Replica r : rotation()) {
      try {
        Attempt<T> attempt = r.jdbi.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, h ->
            covers(h, snapshot) ? new Attempt<>(true, work.withHandle(h)) : new Attempt<T>(false, null));
        if (attempt.done()) {
          return attempt.result();
        }
        r.behindCursors++;
      } catch (RuntimeException e) {
        passOn(r, e);
      }
    }
    return primary.withHandle(work);
  }

  private record Attempt<T>(boolean done, T result) {}

  private static boolean covers(Handle h, String snapshot) {
    return h.createQuery(COVERS).bind("b", snapshot).mapTo(Boolean.class).one();
  }

  /** The replicas in rotation, starting at the next one in turn. */
  private List<Replica> rotation() {
    if (replicas.isEmpty()) {
      return List.of();
    }
    int start = Math.floorMod(next.getAndIncrement(), replicas.size());
    List<Replica> order = new ArrayList<>(replicas.size());
    for (int i = 0; i < replicas.size(); i++) {
      Replica r = replicas.get((start + i) % replicas.size());
      if (r.inRotation) {
        order.add(r);
      }
    }
    return order;
  }

  /**
   * A failed read on a replica is retried elsewhere when the replica is unreachable (it leaves the
   * rotation) or cancelled the read for a conflict with its replay; any other failure is the read's.
   */
  private void passOn(Replica r, RuntimeException e) {
    if (Problems.isDatabaseUnavailable(e)) {
      unreachable(r, e);
      return;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException sql && "40001".equals(sql.getSQLState())) {
        return;
      }
    }
    throw e;
  }

  private void unreachable(Replica r, Exception e) {
    if (r.reachable) {
      log.warn("replica {} unreachable, out of rotation: {}", r.name, e.getMessage());
    }
    r.reachable = false;
    r.inRotation = false;
  }

  /** Samples the primary's WAL position and each replica's replay position; updates the rotation. */
  private void check() {
    long now = System.nanoTime();
    try {
      long position = primary.withHandle(h -> h.createQuery(
          "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn").mapTo(Long.class).one());
      synchronized (primaryPositions) {
        primaryPositions.addLast(new long[] {now, position});
        while (primaryPositions.size() > 2 && now - primaryPositions.peekFirst()[0] > 2 * Math.max(maxLag.toNanos(), 1_000_000_000L)) {
          primaryPositions.removeFirst();
        }
      }
    } catch (RuntimeException e) {
      // The primary is down: the replicas keep their last state; reads report the outage themselves.
      return;
    }
    for (Replica r : replicas) {
      try {
        long replayed = r.jdbi.withHandle(h -> h.createQuery(
            "SELECT COALESCE(pg_last_wal_replay_lsn(), '0/0'::pg_lsn) - '0/0'::pg_lsn").mapTo(Long.class).one());
        long behindSince = now;
        long newest;
        synchronized (primaryPositions) {
          newest = primaryPositions.peekLast()[1];
          for (long[] sample : primaryPositions) {
            if (sample[1] > replayed) {
              behindSince = sample[0];
              break;
            }
          }
        }
        r.lagBytes = Math.max(0, newest - replayed);
        r.lagSeconds = r.lagBytes == 0 ? 0 : (now - behindSince) / 1e9;
        boolean tooFarBehind = r.lagBytes > 0 && now - behindSince > maxLag.toNanos();
        if (!r.reachable) {
          log.info("replica {} reachable again", r.name);
        }
        r.reachable = true;
        if (r.inRotation && tooFarBehind) {
          log.warn("replica {} out of rotation: {} bytes and {} s behind the primary", r.name, r.lagBytes,
              String.format(java.util.Locale.ROOT, "%.1f", r.lagSeconds));
        } else if (!r.inRotation && !tooFarBehind) {
          log.info("replica {} back in rotation", r.name);
        }
        r.inRotation = !tooFarBehind;
      } catch (RuntimeException e) {
        unreachable(r, e);
      }
    }
  }

  @Override
  public void close() {
    if (monitor != null) {
      monitor.shutdownNow();
    }
    for (Replica r : replicas) {
      r.database.close();
    }
  }
}
