package io.s3index.bench;

import io.s3index.shared.db.Database;

/** What the index takes on disk per million objects: the table, its indexes, the folder sizes. */
final class DiskUse {

  private DiskUse() {}

  /**
   * Adds three rows (of objects' partitions summed) to {@code section}, for a database that holds {@code objects} objects and
   * nothing else (vacuumed first, so the figures are of live rows).
   */
  static void report(Report report, String section, Database database, long objects, String note) {
    database.jdbi().useHandle(h -> {
      h.execute("VACUUM ANALYZE objects");
      var sizes = h.createQuery("""
              SELECT sum(pg_table_size(p::regclass)) AS heap, sum(pg_indexes_size(p::regclass)) AS indexes,
                     pg_total_relation_size('folder_stats') AS folders
              FROM s3index_parts('objects') AS p""").mapToMap().one();
      double millions = objects / 1e6;
      report.add(section, "disk per million objects: table", mib(sizes.get("heap"), millions), "MiB", note);
      report.add(section, "disk per million objects: its indexes", mib(sizes.get("indexes"), millions), "MiB", note);
      report.add(section, "disk per million objects: folder sizes", mib(sizes.get("folders"), millions), "MiB", note);
    });
  }

  private static double mib(Object bytes, double millions) {
    return ((Number) bytes).doubleValue() / millions / (1 << 20);
  }
}
