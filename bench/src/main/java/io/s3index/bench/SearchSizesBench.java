package io.s3index.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * Search and sizes on the catalog bucket: metadata filter pages at 0.1% and 10% selectivity (first
 * page and a deep one) over HTTP, the same pages as SQL under three index designs side by side (the
 * side table of entries the API uses, a GIN index over the jsonb with a keyset walk, and no index
 * for metadata), and folder sizes ({@code /stats}) at the root and a deep folder against counting
 * them at read time.
 */
final class SearchSizesBench {

  static final String SECTION = "search and sizes (catalog bucket; page of 100)";

  private final Catalog catalog;
  private final PrintWriter out;
  private final Http http = new Http();

  SearchSizesBench(Catalog catalog, PrintWriter out) {
    this.catalog = catalog;
    this.out = out;
  }

  /** A deep page starts here: half of the bucket's keys sort before it. */
  private static final String MIDDLE = "data/0500/";

  private record Filter(String label, String name, String value) {}

  private static final Filter[] FILTERS = {
      new Filter("0.1%", "project", "rare"), new Filter("10%", "tier", "hot")};

  void run(Report report, int repeats) {
    String base = "/v1/buckets/" + Catalog.BUCKET + "/objects?page_size=100";
    Map<String, String> urls = new LinkedHashMap<>();
    for (Filter f : FILTERS) {
      urls.put("filter " + f.label() + ", first page", catalog.url(base + "&metadata." + f.name() + "=" + f.value()));
      urls.put("filter " + f.label() + ", deep page (after half the bucket)",
          catalog.url(base + "&metadata." + f.name() + "=" + f.value() + "&start_after=" + MIDDLE));
    }
    urls.put("filter 10%, sorted by size, first page",
        catalog.url(base + "&metadata.tier=hot&sort_by=size"));
    urls.put("stats, bucket root", catalog.url("/v1/buckets/" + Catalog.BUCKET + "/stats"));
    urls.put("stats, deep folder (" + catalog.objects / 1000 + " objects)",
        catalog.url("/v1/buckets/" + Catalog.BUCKET + "/stats?prefix=data/0500/"));
    urls.put("folder page with include_stats (100 folders)",
        catalog.url(base + "&prefix=data/&delimiter=/&include_stats=true"));
    out.println("Search and sizes over HTTP ...");
    out.flush();
    for (int i = 0; i < 20; i++) {
      urls.values().forEach(http::get);
    }
    Map<String, double[]> samples = new LinkedHashMap<>();
    urls.keySet().forEach(k -> samples.put(k, new double[repeats]));
    for (int i = 0; i < repeats; i++) {
      for (Map.Entry<String, String> e : urls.entrySet()) {
        long t = System.nanoTime();
        http.get(e.getValue());
        samples.get(e.getKey())[i] = (System.nanoTime() - t) / 1e6;
      }
    }
    samples.forEach((label, ms) -> report.add(SECTION, label + " (HTTP)", Report.median(ms), "ms", "median of " + repeats));

    designs(report, Math.max(5, repeats / 3));
    sizesAtReadTime(report, Math.max(3, repeats / 10));
  }

  /** The filter pages as SQL, under the three designs, in one run. */
  private void designs(Report report, int repeats) {
    out.println("Metadata filter designs, side by side over JDBC ...");
    out.flush();
    String sideTable = """
        SELECT o.key FROM object_attrs a JOIN objects o ON o.bucket = a.bucket AND o.key = a.key
        WHERE a.bucket = 'deep' AND a.name = :entry AND a.value = :value AND a.key > :after
          AND NOT o.deleted
        ORDER BY a.key LIMIT 101""";
    String jsonbWalk = """
        SELECT o.key FROM objects o
        WHERE o.bucket = 'deep' AND NOT o.deleted AND o.metadata @> jsonb_build_object(:name, :value)
          AND o.key > :after
        ORDER BY o.key LIMIT 101""";
    List<String[]> rows = new ArrayList<>();
    catalog.database.jdbi().useHandle(h -> {
      h.execute("SET max_parallel_workers_per_gather = 0");
      for (Filter f : FILTERS) {
        for (String after : new String[] {"", MIDDLE}) {
          String label = "filter " + f.label() + (after.isEmpty() ? ", first page" : ", deep page");
          rows.add(new String[] {label, "side table (bucket, name, value, key), the API's",
              Double.toString(median(h, sideTable, f, after, repeats))});
          rows.add(new String[] {label, "no metadata index: key walk filtering the jsonb",
              Double.toString(median(h, jsonbWalk, f, after, Math.max(3, repeats / 5)))});
        }
      }
      out.println("  building a GIN index (jsonb_path_ops) over the metadata for comparison ...");
      out.flush();
      long built = System.nanoTime();
      h.execute("CREATE INDEX bench_metadata_gin ON objects USING gin (metadata jsonb_path_ops) "
          + "WHERE NOT deleted AND metadata IS NOT NULL");
      h.execute("ANALYZE objects");
      report.add(SECTION, "GIN index build (comparison only)", (System.nanoTime() - built) / 1e9, "s",
          h.createQuery("SELECT pg_size_pretty(pg_relation_size('bench_metadata_gin'))").mapTo(String.class).one());
      try {
        for (Filter f : FILTERS) {
          for (String after : new String[] {"", MIDDLE}) {
            String label = "filter " + f.label() + (after.isEmpty() ? ", first page" : ", deep page");
            rows.add(new String[] {label, "GIN over the jsonb, keyset walk",
                Double.toString(median(h, jsonbWalk, f, after, repeats))});
          }
        }
      } finally {
        h.execute("DROP INDEX bench_metadata_gin");
      }
      report.add(SECTION, "side table size", 0, "",
          h.createQuery("SELECT pg_size_pretty(pg_total_relation_size('object_attrs'))").mapTo(String.class).one()
              + " for " + h.createQuery("SELECT count(*) FROM object_attrs").mapTo(Long.class).one() + " entries");
    });
    Map<String, Double> sideTableMs = new LinkedHashMap<>();
    for (String[] r : rows) {
      if (r[1].startsWith("side table")) {
        sideTableMs.put(r[0], Double.parseDouble(r[2]));
      }
    }
    for (String[] r : rows) {
      double ms = Double.parseDouble(r[2]);
      report.add(SECTION, r[0] + ": " + r[1], ms, "ms", r[1].startsWith("side table") ? "median"
          : String.format(Locale.ROOT, "median; %.1fx the side table", ms / sideTableMs.get(r[0])));
    }
  }

  private static double median(Handle h, String sql, Filter f, String after, int repeats) {
    double[] ms = new double[repeats];
    for (int i = -2; i < repeats; i++) {
      long t = System.nanoTime();
      h.createQuery(sql).bind("entry", "m:" + f.name()).bind("name", f.name()).bind("value", f.value())
          .bind("after", after).mapTo(String.class).list();
      if (i >= 0) {
        ms[i] = (System.nanoTime() - t) / 1e6;
      }
    }
    return Report.median(ms);
  }

  /** The alternative to kept sizes: count, sum and max over the folder's keys at read time. */
  private void sizesAtReadTime(Report report, int repeats) {
    out.println("Folder sizes counted at read time, for comparison ...");
    out.flush();
    String count = """
        SELECT count(*), sum(size), max(last_modified) FROM objects
        WHERE bucket = 'deep' AND NOT deleted AND key >= :low AND key < :high""";
    String[][] folders = {{"bucket root", "", "\uFFFF"}, {"deep folder", "data/0500/", "data/05000"}};
    catalog.database.jdbi().useHandle(h -> {
      for (String[] folder : folders) {
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
          long t = System.nanoTime();
          h.createQuery(count).bind("low", folder[1]).bind("high", folder[2]).mapToMap().one();
          ms[i] = (System.nanoTime() - t) / 1e6;
        }
        report.add(SECTION, "sizes counted at read time, " + folder[0] + " (JDBC)", Report.median(ms), "ms",
            "median of " + repeats + "; what /stats replaces");
      }
    });
  }
}
