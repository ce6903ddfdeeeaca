package io.s3index.bench;

import io.s3index.queryapi.listing.JsonWriterComparison;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The API's hand-written JSON writer against Jackson's streaming generator: the same page of 100
 * rows written into a page document by 8 threads at once, the two writers taking turns a round
 * each (this machine's speed drifts over minutes), after a warm-up of each. The ratio is the median
 * of the rounds' ratios; the API keeps its own writer only if Jackson is more than 5% slower.
 */
final class JsonWriterBench {

  static final String SECTION = "JSON writer (page of 100: hand-written JsonOut vs Jackson streaming)";

  private final Catalog catalog;
  private final PrintWriter out;

  JsonWriterBench(Catalog catalog, PrintWriter out) {
    this.catalog = catalog;
    this.out = out;
  }

  void run(Report report, int threads, int rounds, long roundMillis, long warmupMillis) throws InterruptedException {
    JsonWriterComparison pages = new JsonWriterComparison(catalog.database.jdbi(), Catalog.BUCKET, 100);
    String cursor = "WzIsIm4iLCJyIixudWxsLCJkYXRhLzAwMDEvb2JqZWN0LTAwMDAwMDAwMDEiLCJzY29wZSIsMTc2NDUwMDAwMCxudWxsXQ";
    byte[] mine = pages.handWritten(cursor);
    byte[] theirs = pages.jackson(cursor);
    boolean identical = Arrays.equals(mine, theirs);
    out.printf(Locale.ROOT, "  documents: %,d bytes hand-written, %,d bytes Jackson, %s%n", mine.length,
        theirs.length, identical ? "identical" : "DIFFERENT");
    rate(threads, warmupMillis, () -> pages.handWritten(cursor));
    rate(threads, warmupMillis, () -> pages.jackson(cursor));
    double[] hand = new double[rounds];
    double[] jackson = new double[rounds];
    double[] ratios = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      hand[i] = rate(threads, roundMillis, () -> pages.handWritten(cursor));
      jackson[i] = rate(threads, roundMillis, () -> pages.jackson(cursor));
      ratios[i] = jackson[i] / hand[i];
      out.printf(Locale.ROOT, "  round %d: hand-written %,.0f pages/s, Jackson %,.0f pages/s, %.3fx%n", i + 1,
          hand[i], jackson[i], ratios[i]);
      out.flush();
    }
    report.add(SECTION, threads + " threads: hand-written, pages per second", Report.median(hand), "pages/s",
        String.format(Locale.ROOT, "median of %d rounds of %.1f s", rounds, roundMillis / 1000.0));
    report.add(SECTION, threads + " threads: Jackson streaming, pages per second", Report.median(jackson), "pages/s",
        "median of " + rounds + " rounds; documents " + (identical ? "byte-identical" : "DIFFERENT"));
    report.add(SECTION, "Jackson / hand-written throughput", Report.median(ratios), "x", String.format(Locale.ROOT,
        "median of the rounds' ratios (lowest %.3f, highest %.3f); keep the hand-written writer only below 0.95",
        Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0)));
  }

  /** Pages per second written by {@code threads} threads for {@code millis}. */
  private static double rate(int threads, long millis, Supplier<byte[]> page) throws InterruptedException {
    AtomicLong pages = new AtomicLong();
    AtomicLong sink = new AtomicLong();
    long end = System.nanoTime() + millis * 1_000_000;
    List<Thread> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        long n = 0;
        long bytes = 0;
        while (System.nanoTime() < end) {
          bytes += page.get().length;
          n++;
        }
        pages.addAndGet(n);
        sink.addAndGet(bytes);
      });
      running.add(thread);
      thread.start();
    }
    for (Thread thread : running) {
      thread.join();
    }
    return pages.get() / (millis / 1000.0);
  }
}
