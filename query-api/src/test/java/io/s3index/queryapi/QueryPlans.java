package io.s3index.queryapi;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reading {@code EXPLAIN} output in plan tests. */
public final class QueryPlans {

  private static final Pattern PARTITION = Pattern.compile(" on (objects_p\\d{3})\\b");

  private QueryPlans() {}

  /** The partitions of {@code objects} a plan reads (by name, e.g. objects_p007). */
  public static Set<String> partitions(String plan) {
    Set<String> found = new TreeSet<>();
    Matcher m = PARTITION.matcher(plan);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }
}
