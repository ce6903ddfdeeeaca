package io.s3index.queryapi.access;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per caller: {@code ratePerSecond} requests per second on average, bursts up to
 * {@code burst}. Thread-safe. The table of callers is bounded; past the bound it starts afresh
 * (a coarse reset that only ever lets more requests through, never fewer).
 */
public final class RateLimiter {

  private static final int MAX_CALLERS = 10_000;

  private final double ratePerNano;
  private final double burst;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** @param ratePerSecond requests per second per caller; 0 disables limiting */
  public RateLimiter(int ratePerSecond, int burst, LongSupplier nanoTime) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = Math.max(1, burst);
    this.nanoTime = nanoTime;
  }

  public boolean enabled() {
    return ratePerNano > 0;
  }

  /** Takes one request from the caller's bucket; returns 0 if allowed, else seconds to wait. */
  public long acquire(String caller) {
    if (!enabled()) {
      return 0;
    }
    if (buckets.size() > MAX_CALLERS) {
      buckets.clear();
    }
    return buckets.computeIfAbsent(caller, c -> new Bucket(burst, nanoTime.getAsLong()))
        .take(nanoTime.getAsLong(), ratePerNano, burst);
  }

  private static final class Bucket {
    private double tokens;
    private long last;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.last = now;
    }

    synchronized long take(long now, double ratePerNano, double burst) {
      tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerNano / 1e9));
    }
  }
}
