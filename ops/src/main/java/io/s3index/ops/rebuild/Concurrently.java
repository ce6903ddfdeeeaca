package io.s3index.ops.rebuild;

import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Handle;

/** Runs database jobs on several connections at once, each taking the next from a shared queue. */
final class Concurrently {

  /** One unit of work, run on a connection of its own. */
  @FunctionalInterface
  interface Job {
    void run(Handle handle);
  }

  private Concurrently() {}

  /**
   * Runs every job once, on up to {@code connections} connections of the database that each first
   * run the {@code setup} statement. Returns when all are done; if one fails, the others not yet
   * started are skipped and its error is thrown once the running ones have finished. The
   * connections come from a pool of their own, so a long job never leaves another worker waiting
   * out a shared pool's connection timeout.
   */
  static void run(DatabaseConfig config, String setup, List<Job> jobs, int connections) {
    ConcurrentLinkedQueue<Job> queue = new ConcurrentLinkedQueue<>(jobs);
    AtomicBoolean failed = new AtomicBoolean();
    int workers = Math.max(1, Math.min(connections, jobs.size()));
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try (Database database = new Database(new DatabaseConfig(config.jdbcUrl(), config.user(),
        config.password(), workers), "ops-jobs")) {
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        running.add(pool.submit(() -> database.jdbi().useHandle(h -> {
          h.execute(setup);
          Job job;
          while (!failed.get() && (job = queue.poll()) != null) {
            try {
              job.run(h);
            } catch (RuntimeException e) {
              failed.set(true);
              throw e;
            }
          }
        })));
      }
      RuntimeException first = null;
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (first == null) {
            first = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while running database jobs", e);
        }
      }
      if (first != null) {
        throw first;
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
