package io.s3index.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Benchmark results: printed as tables per section, saved as JSON and CSV for plots. */
final class Report {

  /** One measured figure. */
  record Row(String section, String name, double value, String unit, String note) {}

  private final List<Row> rows = new ArrayList<>();
  private final java.util.Set<Row> printed = new java.util.HashSet<>();
  private final Map<String, String> context = new LinkedHashMap<>();
  private final PrintWriter out;

  Report(PrintWriter out) {
    this.out = out;
  }

  void context(String name, String value) {
    context.put(name, value);
  }

  void add(String section, String name, double value, String unit, String note) {
    rows.add(new Row(section, name, value, unit, note));
  }

  /** Prints the rows of one section as an aligned table. */
  void print(String section) {
    List<Row> mine = rows.stream().filter(r -> r.section().equals(section) && printed.add(r)).toList();
    int width = mine.stream().mapToInt(r -> r.name().length()).max().orElse(10);
    out.println();
    out.println("== " + section + " ==");
    for (Row r : mine) {
      out.printf(Locale.ROOT, "  %-" + width + "s  %14s %-10s %s%n", r.name(), format(r.value()), r.unit(),
          r.note() == null ? "" : r.note());
    }
    out.flush();
  }

  static String format(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (Math.abs(v) >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (Math.abs(v) >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    return String.format(Locale.ROOT, "%.4f", v);
  }

  void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("context", context);
    json.put("results", rows);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(dir.resolve("bench.json").toFile(), json);
    StringBuilder csv = new StringBuilder("section,name,value,unit,note\n");
    for (Row r : rows) {
      csv.append(String.join(",", quote(r.section()), quote(r.name()),
          Double.toString(r.value()), quote(r.unit()), quote(r.note() == null ? "" : r.note()))).append('\n');
    }
    Files.writeString(dir.resolve("bench.csv"), csv);
  }

  private static String quote(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** The p-th percentile (0-100) by nearest rank. */
  static double percentile(double[] values, double p) {
    double[] v = values.clone();
    Arrays.sort(v);
    int rank = (int) Math.ceil(p / 100.0 * v.length);
    return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
  }
}
