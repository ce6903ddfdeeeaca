package io.s3index.bench;

import java.io.PrintWriter;
import java.time.OffsetDateTime;
import java.util.Locale;

/**
 * Deep pages: an HTTP page of 100 at depths 0, 1 M, 5 M and the end, keyset (the API) versus
 * OFFSET (run by the benchmark itself over JDBC; the API never offers it), same table, same run.
 */
final class DeepPagesBench {

  static final String SECTION = "deep pages (page of 100; keyset over HTTP vs OFFSET over JDBC)";

  private final Catalog catalog;
  private final PrintWriter out;
  private final Http http = new Http();

  DeepPagesBench(Catalog catalog, PrintWriter out) {
    this.catalog = catalog;
    this.out = out;
  }

  void run(Report report, long[] depths, int keysetRepeats, int offsetRepeats) {
    // Warm the HTTP path (JIT, pools) so that the samples measure pages, not compilation.
    for (int i = 0; i < 300; i++) {
      http.get(catalog.url("/v1/buckets/" + Catalog.BUCKET + "/objects?page_size=100&sort_by="
          + (i % 2 == 0 ? "key" : "last_modified")));
    }
    for (String sort : new String[] {"key", "last_modified"}) {
      int n = depths.length;
      long[] rows = new long[n];
      String[] labels = new String[n];
      String[] urls = new String[n];
      for (int j = 0; j < n; j++) {
        rows[j] = depths[j] < 0 ? catalog.objects - 100 : depths[j];
        labels[j] = depths[j] < 0 ? "last page" : String.format(Locale.ROOT, "depth %,d", depths[j]);
        // Boundary row just before the page (found once, not measured).
        String cursor = null;
        if (rows[j] > 0) {
          Object[] boundary = boundary(sort, rows[j] - 1);
          String sortValue = sort.equals("key") ? null : ((OffsetDateTime) boundary[1]).toInstant().toString();
          cursor = catalog.cursors.after(Catalog.BUCKET, "page_size=100&sort_by=" + sort, sortValue, (String) boundary[0]);
        }
        urls[j] = catalog.url("/v1/buckets/" + Catalog.BUCKET + "/objects?page_size=100&sort_by=" + sort
            + (cursor == null ? "" : "&cursor=" + cursor));
      }
      // Every depth gets the same warm-up, then the depths take turns, one page each at a time,
      // so that the machine's drift over minutes falls on all of them alike.
      for (int i = 0; i < 20; i++) {
        for (String url : urls) {
          http.get(url);
        }
      }
      double[][] keyset = new double[n][keysetRepeats];
      for (int i = 0; i < keysetRepeats; i++) {
        for (int j = 0; j < n; j++) {
          long t = System.nanoTime();
          http.get(urls[j]);
          keyset[j][i] = (System.nanoTime() - t) / 1e6;
        }
      }
      double firstKeyset = Double.NaN;
      for (int j = 0; j < n; j++) {
        double[] offset = new double[offsetRepeats];
        for (int i = 0; i < offsetRepeats; i++) {
          long t = System.nanoTime();
          offsetPage(sort, rows[j]);
          offset[i] = (System.nanoTime() - t) / 1e6;
        }
        double k = Report.median(keyset[j]);
        double o = Report.median(offset);
        if (rows[j] == 0) {
          firstKeyset = k;
        }
        report.add(SECTION, sort + ", " + labels[j] + ": keyset median", k, "ms",
            String.format(Locale.ROOT, "p99 %.2f ms, %d runs", Report.percentile(keyset[j], 99), keysetRepeats));
        report.add(SECTION, sort + ", " + labels[j] + ": OFFSET median", o, "ms", offsetRepeats + " runs");
        report.add(SECTION, sort + ", " + labels[j] + ": OFFSET / keyset", o / k, "x",
            rows[j] == 0 ? null : String.format(Locale.ROOT, "keyset at this depth / first page: %.2fx", k / firstKeyset));
        out.printf(Locale.ROOT, "  %s %s: keyset %.2f ms, OFFSET %.1f ms%n", sort, labels[j], k, o);
        out.flush();
      }
    }
  }

  private Object[] boundary(String sort, long offset) {
    String order = sort.equals("key") ? "key" : "last_modified, key";
    return catalog.database.jdbi().withHandle(h -> h.createQuery(
            "SELECT key, last_modified FROM objects WHERE bucket = :b AND NOT deleted ORDER BY " + order
                + " OFFSET :o LIMIT 1")
        .bind("b", Catalog.BUCKET).bind("o", offset)
        .map((rs, c) -> new Object[] {rs.getString(1), rs.getObject(2, OffsetDateTime.class)}).one());
  }

  private void offsetPage(String sort, long offset) {
    String order = sort.equals("key") ? "key" : "last_modified, key";
    catalog.database.jdbi().useHandle(h -> h.createQuery(
            "SELECT key, size, etag, content_type, last_modified, storage_class, version_id, metadata::text "
                + "FROM objects WHERE bucket = :b AND NOT deleted ORDER BY " + order + " OFFSET :o LIMIT 100")
        .bind("b", Catalog.BUCKET).bind("o", offset).mapToMap().list());
  }
}
