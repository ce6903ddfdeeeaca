package io.s3index.ops.tools;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress line for long work: count, rate and, when the total is known, a bar and an ETA.
 * Redrawn in place on a terminal at most five times a second; one line per 10 s otherwise.
 */
public final class Progress {

  private final PrintWriter out;
  private final String what;
  private final long total;
  private final boolean terminal = System.console() != null;
  private final long started = System.nanoTime();
  private long lastDraw;

  /** @param total the amount of work, or -1 when unknown */
  public Progress(PrintWriter out, String what, long total) {
    this.out = out;
    this.what = what;
    this.total = total;
  }

  public void update(long done) {
    long now = System.nanoTime();
    long interval = terminal ? 200_000_000L : 10_000_000_000L;
    if (now - lastDraw < interval) {
      return;
    }
    lastDraw = now;
    draw(done, false);
  }

  public void finish(long done) {
    draw(done, true);
  }

  private void draw(long done, boolean last) {
    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
    double rate = done / seconds;
    String line;
    // Work that grew while it ran (events published during a rebuild) ends at 100%, not beyond.
    long total = Math.max(this.total, done);
    if (total > 0) {
      int width = 30;
      int filled = (int) Math.min(width, width * done / Math.max(1, total));
      String eta = rate > 0 && !last ? String.format(Locale.ROOT, ", ETA %s", duration((total - done) / rate)) : "";
      line = String.format(Locale.ROOT, "%s [%s%s] %,d/%,d (%.0f%%) %,.0f/s%s", what,
          "#".repeat(filled), ".".repeat(width - filled), done, total, 100.0 * done / total, rate, eta);
    } else {
      line = String.format(Locale.ROOT, "%s %,d, %,.0f/s, %s", what, done, rate, duration(seconds));
    }
    if (terminal) {
      out.print("\r" + line + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
        : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
  }
}
