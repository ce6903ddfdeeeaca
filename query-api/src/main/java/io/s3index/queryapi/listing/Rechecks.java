package io.s3index.queryapi.listing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Long waits without a held thread or connection: a check runs every {@value #EVERY_MILLIS} ms on
 * a small shared scheduler (each check takes a pooled connection for one query and gives it back)
 * until it is satisfied or the deadline passes. For the change feed's {@code wait} and the object
 * lookup's read-your-writes {@code wait}.
 */
final class Rechecks {

  static final long EVERY_MILLIS = 100;
  private static final ScheduledExecutorService SCHEDULER = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "api-wait");
    t.setDaemon(true);
    return t;
  });

  private Rechecks() {}

  /**
   * Completes with the first result of {@code check} that {@code done} accepts, or with the last
   * one at {@code deadlineNanos} ({@link System#nanoTime()}); exceptionally if a check throws.
   */
  static <T> CompletableFuture<T> until(Supplier<T> check, Predicate<T> done, long deadlineNanos) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    schedule(check, done, deadlineNanos, answer);
    return answer;
  }

  private static <T> void schedule(Supplier<T> check, Predicate<T> done, long deadline, CompletableFuture<T> answer) {
    SCHEDULER.schedule(() -> {
      try {
        T result = check.get();
        if (done.test(result) || System.nanoTime() - deadline >= 0) {
          answer.complete(result);
        } else {
          schedule(check, done, deadline, answer);
        }
      } catch (RuntimeException e) {
        answer.completeExceptionally(e);
      }
    }, EVERY_MILLIS, TimeUnit.MILLISECONDS);
  }
}
