package io.s3index.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** Awaitility, with what the awaited thing had done by the deadline added to a timeout's message. */
public final class Waits {

  private Waits() {}

  /**
   * Returns once {@code condition} holds; on timeout fails with an {@link AssertionError} that
   * names {@code what} and gives {@code state}, to tell a slow run from a stuck one.
   */
  public static void until(String what, Duration timeout, Callable<Boolean> condition, Supplier<String> state) {
    try {
      Awaitility.await(what).atMost(timeout).until(condition);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + " (by then: " + state.get() + ")", e);
    }
  }
}
