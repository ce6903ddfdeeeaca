package io.s3index.bench;

import io.javalin.Javalin;
import io.s3index.queryapi.ApiApp;
import io.s3index.queryapi.ApiConfig;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The bucket browser's first screen in the system's headless Chromium: the time from navigation
 * to the first rows drawn ({@code performance.mark('s3index:first-screen')}, which the page sets
 * in the frame that shows them), read from the browser's own timing API, for a folder of 1 M
 * objects (100 k with {@code --quick}) and one of 1 000 side by side, by name and by size.
 */
final class BrowseBench {

  static final String SECTION = "browser view: first screen drawn after navigation (headless Chromium)";
  private static final String BUCKET = "browse";
  private static final Path BROWSER = Path.of(System.getenv().getOrDefault("S3INDEX_CHROMIUM", "/usr/bin/chromium"));
  private static final Path DRIVER = Path.of(System.getenv().getOrDefault("S3INDEX_CHROMEDRIVER", "/usr/bin/chromedriver"));

  private final BenchEnvironment env;
  private final PrintWriter out;

  BrowseBench(BenchEnvironment env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  void run(Report report, long bigFolder, int repeats) {
    if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
      out.println("  skipped: no " + BROWSER + " and " + DRIVER + " (apt-get install chromium chromium-driver)");
      return;
    }
    DatabaseConfig db = env.postgres.createDatabase("bench_browse");
    try (Database database = new Database(new DatabaseConfig(db.jdbcUrl(), db.user(), db.password(), 8), "bench-browse")) {
      database.migrate();
      load(database, bigFolder);
      // This database holds only the browse bucket: keys of 22 characters, no user metadata.
      DiskUse.report(report, SECTION, database, bigFolder + 1000,
          String.format(Locale.ROOT, "%,d objects, keys of 22 characters, no metadata", bigFolder + 1000));
      ApiConfig config = ApiConfig.of("127.0.0.1", 0, database.config());
      Javalin api = ApiApp.create(config, database, Clock.systemUTC()).start("127.0.0.1", 0);
      ChromeDriver browser = start();
      try {
        String base = "http://127.0.0.1:" + api.port() + "/browse?bucket=" + BUCKET;
        Map<String, String> views = new LinkedHashMap<>();
        String big = String.format(Locale.ROOT, "%,d", bigFolder);
        views.put("folder of " + big + " objects, by name", base + "&prefix=big%2F");
        views.put("folder of 1,000 objects, by name", base + "&prefix=small%2F");
        views.put("folder of " + big + " objects, by size, largest first", base + "&prefix=big%2F&sort=size&order=desc");
        views.put("folder of 1,000 objects, by size, largest first", base + "&prefix=small%2F&sort=size&order=desc");
        out.println("Navigating " + views.size() + " views " + repeats + " times each ...");
        out.flush();
        for (String url : views.values()) {
          firstScreen(browser, url);
        }
        Map<String, double[][]> samples = new LinkedHashMap<>();
        views.keySet().forEach(k -> samples.put(k, new double[4][repeats]));
        for (int i = 0; i < repeats; i++) {
          for (Map.Entry<String, String> v : views.entrySet()) {
            double[] t = firstScreen(browser, v.getValue());
            for (int j = 0; j < t.length; j++) {
              samples.get(v.getKey())[j][i] = t[j];
            }
          }
        }
        Map<String, double[]> screens = new LinkedHashMap<>();
        for (String view : views.keySet()) {
          double[][] t = samples.get(view);
          screens.put(view, t[0]);
          report.add(SECTION, "first screen, " + view, Report.median(t[0]), "ms",
              "median of " + repeats + "; from navigation start");
          report.add(SECTION, "  of which: page script running at", Report.median(t[2]), "ms",
              "median; after the page and its script arrived and were parsed");
          report.add(SECTION, "  of which: listing answered at", Report.median(t[3]), "ms",
              "median; the first /objects request took " + Report.format(Report.median(t[1])) + " ms of it");
        }
        scrolling(report, browser, views.values().iterator().next(), (int) Math.min(100_000, bigFolder));
        String[] names = views.keySet().toArray(String[]::new);
        report.add(SECTION, "ratio, " + big + " to 1,000 objects, by name",
            Report.median(screens.get(names[0])) / Report.median(screens.get(names[1])), "x", "first screen");
        report.add(SECTION, "ratio, " + big + " to 1,000 objects, by size",
            Report.median(screens.get(names[2])) / Report.median(screens.get(names[3])), "x", "first screen");
      } finally {
        browser.quit();
        api.stop();
      }
    }
  }

  /**
   * Scrolls the big folder until {@code rows} are loaded, then jumps through them a frame at a
   * time and reports the intervals between frames: a virtualized grid keeps them at the display's
   * rate however many rows are loaded.
   */
  private void scrolling(Report report, ChromeDriver browser, String url, int rows) {
    out.printf(Locale.ROOT, "Scrolling through %,d loaded rows ...%n", rows);
    out.flush();
    browser.get(url);
    browser.manage().timeouts().scriptTimeout(Duration.ofMinutes(5));
    @SuppressWarnings("unchecked")
    java.util.List<Number> r = (java.util.List<Number>) browser.executeAsyncScript("""
        const done = arguments[arguments.length - 1], rows = arguments[0];
        const v = document.getElementById('viewport');
        const loaded = () => Number(v.getAttribute('aria-rowcount'));
        const started = performance.now();
        const load = () => {
          if (loaded() >= rows) return measure(performance.now() - started);
          v.scrollTop = v.scrollHeight;
          setTimeout(load, 20);
        };
        const measure = (loadMs) => {
          const gaps = [];
          let last = null, i = 0;
          const frame = (t) => {
            if (last !== null) gaps.push(t - last);
            last = t;
            v.scrollTop = ((i++ * 7919) % loaded()) * 30;
            if (gaps.length < 240) return requestAnimationFrame(frame);
            gaps.sort((a, b) => a - b);
            done([loaded(), loadMs, gaps[gaps.length >> 1], gaps[Math.floor(gaps.length * 0.95)],
                  gaps[gaps.length - 1], document.querySelectorAll('#viewport .r').length]);
          };
          requestAnimationFrame(frame);
        };
        load();""", rows);
    String label = String.format(Locale.ROOT, "%,d rows loaded", r.get(0).longValue());
    report.add(SECTION, "scroll, frame interval, median (" + label + ", a jump each frame)", r.get(2).doubleValue(), "ms", "240 frames");
    report.add(SECTION, "scroll, frame interval, 95th percentile", r.get(3).doubleValue(), "ms", "240 frames");
    report.add(SECTION, "scroll, frame interval, longest", r.get(4).doubleValue(), "ms", "240 frames");
    report.add(SECTION, "scroll, rows in the page's DOM", r.get(5).doubleValue(), "rows", label);
    report.add(SECTION, "scroll, time to load them by scrolling", r.get(1).doubleValue() / 1000, "s", "pages of 1,000 by cursor");
  }

  /**
   * Navigates and returns, in ms from the browser's timing API: the first screen drawn, the first
   * listing request's duration, when the page's script started, when that listing was answered.
   */
  private static double[] firstScreen(ChromeDriver browser, String url) {
    browser.get(url);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Object t = browser.executeScript("""
          const m = performance.getEntriesByName('s3index:first-screen');
          if (!m.length) return null;
          const r = performance.getEntriesByType('resource').find(e => e.name.includes('/objects?'));
          const s = performance.getEntriesByName('s3index:script');
          return [m[0].startTime, r ? r.duration : -1, s.length ? s[0].startTime : -1, r ? r.responseEnd : -1];""");
      if (t instanceof java.util.List<?> list) {
        return list.stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the page drew no rows within 30 s: " + url);
      }
      Thread.onSpinWait();
    }
  }

  private void load(Database database, long bigFolder) {
    long have = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM objects WHERE bucket = :b").bind("b", BUCKET).mapTo(Long.class).one());
    if (have == bigFolder + 1000) {
      return;
    }
    out.printf(Locale.ROOT, "Loading a folder of %,d objects and one of 1,000 ...%n", bigFolder);
    out.flush();
    long started = System.nanoTime();
    database.jdbi().useHandle(h -> {
      h.execute("DELETE FROM objects WHERE bucket = ?", BUCKET);
      for (String trigger : new String[] {"objects_derive_insert", "objects_derive_update", "objects_derive_delete"}) {
        h.execute("ALTER TABLE objects DISABLE TRIGGER " + trigger);
      }
      String insert = """
          INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, storage_class, sequencer, event_time)
          SELECT 'browse', :folder || 'photo-' || lpad(g::text, 8, '0') || '.jpg', (g * 7919) % 50000000, md5(g::text),
                 'image/jpeg', timestamptz '2025-01-01 00:00:00+00' + ((g * 104729) % :n) * interval '1 second',
                 'STANDARD', lpad(to_hex(g), 16, '0'), timestamptz '2025-01-01 00:00:00+00'
          FROM generate_series(1::bigint, :n) g""";
      h.execute(insert.replace(":folder", "'big/'").replace(":n", Long.toString(bigFolder)));
      h.execute(insert.replace(":folder", "'small/'").replace(":n", "1000"));
      h.execute("SELECT s3index_folder_stats_repair(?)", BUCKET);
      for (String trigger : new String[] {"objects_derive_insert", "objects_derive_update", "objects_derive_delete"}) {
        h.execute("ALTER TABLE objects ENABLE TRIGGER " + trigger);
      }
      h.execute("VACUUM ANALYZE objects");
      h.execute("VACUUM ANALYZE folder_stats");
    });
    out.printf(Locale.ROOT, "  loaded in %.0f s%n", (System.nanoTime() - started) / 1e9);
  }

  private static ChromeDriver start() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,900", "--no-first-run", "--disable-background-networking", "--disable-extensions");
    return new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort().build(), options);
  }
}
