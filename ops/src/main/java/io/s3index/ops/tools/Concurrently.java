package io.s3index.ops.tools;

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

/** Runs SQL statements on several connections at once, each taking the next from a shared queue. */
final class Concurrently {

  private Concurrently() {}

  /**
   * Runs every statement once, on up to {@code connections} connections of the database that
   * each first run {@code setup}. Returns when all are done; if one fails, the others not yet
   * started are skipped and its error is thrown once the running ones have finished. The
   * connections come from a pool of their own, so a long statement never leaves another worker
   * waiting out a shared pool's connection timeout.
   */
  static void run(DatabaseConfig config, String setup, List<String> statements, int connections) {
    ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>(statements);
    AtomicBoolean failed = new AtomicBoolean();
    int workers = Math.max(1, Math.min(connections, statements.size()));
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try (Database database = new Database(new DatabaseConfig(config.jdbcUrl(), config.user(),
        config.password(), workers), "ops-jobs")) {
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        running.add(pool.submit(() -> database.jdbi().useHandle(h -> {
          h.execute(setup);
          String sql;
          while (!failed.get() && (sql = queue.poll()) != null) {
            try {
              h.execute(sql);
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
          throw new IllegalStateException("interrupted while running " + statements, e);
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
