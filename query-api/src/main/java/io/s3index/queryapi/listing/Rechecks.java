package io.s3index.queryapi.listing;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Long waits without a held thread or connection, and without cost while nothing is written: a
 * waiter's check (a query on a pooled connection, given back at once) runs on a small shared
 * scheduler only when the database has committed something since its last check, or every
 * {@value #QUIET_MILLIS} ms as a safety net, and at its deadline. What was committed is known from
 * one shared watch ({@link CommitWatch}): while any waiter waits, it reads the primary's current
 * snapshot every {@value #WATCH_MILLIS} ms, whose text changes with every commit. Between two
 * checks of one waiter lie at least {@value #FIRST_MILLIS} ms at first, growing by half up to
 * {@value #EVERY_MILLIS} ms, so what an uploader waits for right after its PutObject is seen within
 * milliseconds, and under a steady stream of writes a waiter checks ten times a second, as before.
 *
 * <p>Why the watch: a client that leaves a held request is not noticed (Jetty learns of a closed
 * connection only when it writes), so its waiter runs until its deadline; abandoned waits must
 * cost nothing while the index is quiet. For the change feed's {@code wait} and the object
 * lookup's read-your-writes {@code wait}.
 */
public final class Rechecks {

  static final long FIRST_MILLIS = 5;
  static final long EVERY_MILLIS = 100;
  static final long QUIET_MILLIS = 2_000;
  static final long WATCH_MILLIS = 25;
  private static final ScheduledExecutorService SCHEDULER = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "api-wait");
    t.setDaemon(true);
    return t;
  });
  /** Checks run by waiters so far (all instances): for tests of what waiting costs. */
  static final AtomicLong CHECKS = new AtomicLong();

  private final CommitWatch watch;

  /** @param head the primary's current snapshot as text (any value that changes with every commit) */
  Rechecks(Supplier<String> head) {
    this.watch = new CommitWatch(head);
  }

  /** The waits of one API, watching its primary's commits: one watch for all its routes. */
  public static Rechecks watching(io.s3index.queryapi.reads.Reads reads) {
    return new Rechecks(() -> reads.primary(ChangeFeed::currentSnapshot));
  }

  /**
   * Completes with the first result of {@code check} that {@code done} accepts, or with the last
   * one at {@code deadlineNanos} ({@link System#nanoTime()}); exceptionally if a check throws.
   */
  <T> CompletableFuture<T> until(Supplier<T> check, Predicate<T> done, long deadlineNanos) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    watch.join();
    answer.whenComplete((r, e) -> watch.leave());
    new Waiter<>(check, done, deadlineNanos, answer).schedule(FIRST_MILLIS);
    return answer;
  }

  private final class Waiter<T> {
    private final Supplier<T> check;
    private final Predicate<T> done;
    private final long deadline;
    private final CompletableFuture<T> answer;
    /** The watch's version at the last check; -1 before the first, which always runs. */
    private long seen = -1;
    private long lastCheck = System.nanoTime();

    Waiter(Supplier<T> check, Predicate<T> done, long deadline, CompletableFuture<T> answer) {
      this.check = check;
      this.done = done;
      this.deadline = deadline;
      this.answer = answer;
    }

    void schedule(long delayMillis) {
      SCHEDULER.schedule(() -> tick(delayMillis), delayMillis, TimeUnit.MILLISECONDS);
    }

    private void tick(long delayMillis) {
      if (answer.isDone()) {
        return;
      }
      long now = System.nanoTime();
      long version = watch.version();
      boolean last = now - deadline >= 0;
      if (seen < 0 || version != seen || last || now - lastCheck >= TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) {
        seen = version;
        lastCheck = now;
        try {
          CHECKS.incrementAndGet();
          T result = check.get();
          if (last || done.test(result)) {
            answer.complete(result);
            return;
          }
        } catch (RuntimeException e) {
          answer.completeExceptionally(e);
          return;
        }
      }
      long next = Math.min(EVERY_MILLIS, delayMillis + (delayMillis + 1) / 2);
      long untilDeadline = TimeUnit.NANOSECONDS.toMillis(deadline - now);
      schedule(Math.max(1, Math.min(next, untilDeadline)));
    }
  }

  /** The primary's commits, as a version that moves when its snapshot changes; polled while anyone waits. */
  private static final class CommitWatch {
    private final Supplier<String> head;
    private final AtomicInteger waiters = new AtomicInteger();
    private volatile long version;
    private String last;
    private ScheduledFuture<?> poll;

    CommitWatch(Supplier<String> head) {
      this.head = head;
    }

    long version() {
      return version;
    }

    void join() {
      if (waiters.getAndIncrement() == 0) {
        synchronized (this) {
          if (poll == null) {
            poll = SCHEDULER.scheduleWithFixedDelay(this::poll, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
          }
        }
      }
    }

    void leave() {
      if (waiters.decrementAndGet() == 0) {
        synchronized (this) {
          if (waiters.get() == 0 && poll != null) {
            poll.cancel(false);
            poll = null;
          }
        }
      }
    }

    private void poll() {
      String now;
      try {
        now = head.get();
      } catch (RuntimeException e) {
        // The database is away: let the waiters check, and answer with what they find.
        version++;
        return;
      }
      if (!now.equals(last)) {
        last = now;
        version++;
      }
    }
  }
}
