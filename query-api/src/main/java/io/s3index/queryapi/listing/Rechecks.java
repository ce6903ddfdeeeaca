package io.s3index.queryapi.listing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Long waits without a held thread or connection: a check runs on a small shared scheduler (each
 * takes a pooled connection for one query and gives it back) until it is satisfied or the deadline
 * passes, first after {@value #FIRST_MILLIS} ms, then half as long again each time, up to every
 * {@value #EVERY_MILLIS} ms. What a client waits for usually lands within tens of milliseconds (an
 * uploader asks right after its PutObject), so the early checks answer it quickly, and a long
 * wait costs ten queries a second. For the change feed's {@code wait} and the object lookup's
 * read-your-writes {@code wait}.
 */
final class Rechecks {

  static final long FIRST_MILLIS = 5;
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
    schedule(check, done, deadlineNanos, answer, FIRST_MILLIS);
    return answer;
  }

  private static <T> void schedule(Supplier<T> check, Predicate<T> done, long deadline, CompletableFuture<T> answer,
      long delayMillis) {
    SCHEDULER.schedule(() -> {
      try {
        T result = check.get();
        if (done.test(result) || System.nanoTime() - deadline >= 0) {
          answer.complete(result);
        } else {
          schedule(check, done, deadline, answer, Math.min(EVERY_MILLIS, delayMillis + (delayMillis + 1) / 2));
        }
      } catch (RuntimeException e) {
        answer.completeExceptionally(e);
      }
    }, delayMillis, TimeUnit.MILLISECONDS);
  }
}
