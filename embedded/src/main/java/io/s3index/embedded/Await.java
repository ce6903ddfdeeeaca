package io.s3index.embedded;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling with a deadline, for tests and start-up checks that wait on another process. */
public final class Await {

  private static final long POLL_NANOS = Duration.ofMillis(20).toNanos();

  private Await() {}

  /**
   * Returns once {@code condition} holds; throws {@link AssertionError} naming {@code what} if it
   * still does not after {@code timeout}.
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    until(what, timeout, condition, () -> null);
  }

  /**
   * As {@link #until(String, Duration, BooleanSupplier)}, and on timeout the message also gives
   * {@code state}: what the awaited thing had done by then, to tell a slow run from a stuck one.
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition,
      Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        String seen = state.get();
        throw new AssertionError("timed out after " + timeout + " waiting until " + what
            + (seen == null ? "" : " (by then: " + seen + ")"));
      }
      LockSupport.parkNanos(POLL_NANOS);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting until " + what);
      }
    }
  }
}
