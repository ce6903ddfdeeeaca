package io.s3index.ops.tools;

import io.s3index.shared.db.Database;
import io.s3index.shared.events.ObjectKeys;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jdbi.v3.core.Jdbi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** {@code ops reconcile}: compares the index with the bucket, and repairs the drift. */
@Command(name = "reconcile", mixinStandardHelpOptions = true,
    description = {
        "Walk the bucket (ListObjectsV2) and the index side by side in key order and report objects",
        "missing from the index, extra in it, and changed (size or ETag). --fix repairs them, except",
        "rows that events changed while the walk ran (the events are newer than the listing).",
        "Then checks the kept folder sizes (objects, bytes, newest change) of the bucket's folders under",
        "the prefix against a count of the index; --fix recomputes the bucket's."})
public final class ReconcileCommand implements Callable<Integer> {

  private static final int SAMPLES = 10;

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Option(names = "--bucket", required = true, description = "bucket to compare")
  String bucket;

  @Option(names = "--prefix", description = "only keys under this prefix")
  String prefix;

  @Option(names = "--fix", description = "repair what differs")
  boolean fix;

  private record Indexed(String key, long size, String etag) {}

  /** The index's live rows under the prefix, in key order, a page at a time. */
  private static Iterator<Indexed> indexed(Jdbi jdbi, String bucket, String prefix) {
    String p = prefix == null ? "" : prefix;
    String upper = ObjectKeys.prefixUpperBound(p);
    return new Iterator<>() {
      private List<Indexed> page = List.of();
      private int i;
      private String after = null;
      private boolean done;

      private void fill() {
        if (i < page.size() || done) {
          return;
        }
        page = jdbi.withHandle(h -> h.createQuery("""
                SELECT key, size, etag FROM objects
                WHERE bucket = :bucket AND NOT deleted AND key >= :prefix
                  AND (CAST(:upper AS text) IS NULL OR key < :upper)
                  AND (CAST(:after AS text) IS NULL OR key > :after)
                ORDER BY key LIMIT 1000""")
            .bind("bucket", bucket).bind("prefix", p).bind("upper", upper).bind("after", after)
            .map((rs, c) -> new Indexed(rs.getString(1), rs.getLong(2), rs.getString(3))).list());
        i = 0;
        done = page.isEmpty();
        if (!done) {
          after = page.get(page.size() - 1).key();
        }
      }

      @Override
      public boolean hasNext() {
        fill();
        return i < page.size();
      }

      @Override
      public Indexed next() {
        fill();
        return page.get(i++);
      }
    };
  }

  private static int compare(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    var s3Settings = connections.s3();
    Instant started = Instant.now();
    long compared = 0;
    long[] missing = {0};
    long[] extra = {0};
    long[] changed = {0};
    long repaired = 0;
    List<String> missingSamples = new ArrayList<>();
    List<String> extraSamples = new ArrayList<>();
    List<String> changedSamples = new ArrayList<>();
    try (Database database = connections.openDatabase(); S3Client s3 = s3Settings.client(4)) {
      BucketListing listing = new BucketListing(s3, String.valueOf(s3Settings.endpoint()));
      ListedObjects writer = new ListedObjects(database.jdbi());
      Iterator<S3Object> inBucket = listing.guarded(listing.objects(bucket, prefix), bucket);
      Iterator<Indexed> inIndex = indexed(database.jdbi(), bucket, prefix);
      List<ListedObjects.Listed> upserts = new ArrayList<>();
      List<String> removals = new ArrayList<>();
      Progress progress = new Progress(out, "compared", -1);
      S3Object s = inBucket.hasNext() ? inBucket.next() : null;
      Indexed x = inIndex.hasNext() ? inIndex.next() : null;
      while (s != null || x != null) {
        int order = s == null ? 1 : x == null ? -1 : compare(s.key(), x.key());
        if (order < 0) {
          missing[0]++;
          sample(missingSamples, s.key());
          upserts.add(listed(s));
          s = inBucket.hasNext() ? inBucket.next() : null;
        } else if (order > 0) {
          extra[0]++;
          sample(extraSamples, x.key());
          removals.add(x.key());
          x = inIndex.hasNext() ? inIndex.next() : null;
        } else {
          String etag = BucketListing.etag(s.eTag());
          if (s.size() != x.size() || (x.etag() != null && etag != null && !etag.equals(x.etag()))) {
            changed[0]++;
            sample(changedSamples, s.key() + " (index: " + x.size() + " bytes, bucket: " + s.size() + " bytes)");
            upserts.add(listed(s));
          }
          s = inBucket.hasNext() ? inBucket.next() : null;
          x = inIndex.hasNext() ? inIndex.next() : null;
        }
        compared++;
        progress.update(compared);
        if (fix && (upserts.size() >= 1000 || removals.size() >= 1000)) {
          repaired += writer.upsert(upserts, true, started) + writer.remove(bucket, removals, started);
          upserts.clear();
          removals.clear();
        }
      }
      if (fix) {
        repaired += writer.upsert(upserts, true, started) + writer.remove(bucket, removals, started);
        writer.register(bucket);
      }
      progress.finish(compared);
      folderSizes(database, out);
    }
    out.printf(Locale.ROOT, "bucket %s%s: %,d compared; %,d missing from the index, %,d extra in it, %,d changed%n",
        bucket, prefix == null ? "" : "/" + prefix, compared, missing[0], extra[0], changed[0]);
    print(out, "missing", missingSamples, missing[0]);
    print(out, "extra", extraSamples, extra[0]);
    print(out, "changed", changedSamples, changed[0]);
    if (fix) {
      out.printf(Locale.ROOT, "repaired %,d row(s)%s%n", repaired,
          repaired < missing[0] + extra[0] + changed[0] ? " (the rest changed by events during the walk)" : "");
    } else if (missing[0] + extra[0] + changed[0] > 0) {
      out.println("run again with --fix to repair");
    }
    out.flush();
    return 0;
  }

  /** Compares the kept folder sizes with a count of the index; with --fix, recomputes them. */
  private void folderSizes(Database database, PrintWriter out) {
    List<String> drift = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT * FROM s3index_folder_stats_drift(:bucket, :under)")
        .bind("bucket", bucket).bind("under", prefix == null ? "" : prefix)
        .map((rs, c) -> String.format(Locale.ROOT, "%s (counted: %d objects, %d bytes; kept: %d objects, %d bytes%s)",
            rs.getString("prefix").isEmpty() ? "(bucket)" : rs.getString("prefix"),
            rs.getLong("objects"), rs.getLong("bytes"), rs.getLong("kept_objects"), rs.getLong("kept_bytes"),
            java.util.Objects.equals(rs.getObject("newest"), rs.getObject("kept_newest")) ? "" : "; newest differs"))
        .list());
    out.printf(Locale.ROOT, "folder sizes: %,d folder(s) differ from a count of the index%n", drift.size());
    print(out, "differing", drift.subList(0, Math.min(SAMPLES, drift.size())), drift.size());
    if (fix && !drift.isEmpty()) {
      long written = database.jdbi().inTransaction(h -> h.createQuery(
              "SELECT s3index_folder_stats_repair(:bucket)").bind("bucket", bucket).mapTo(Long.class).one());
      out.printf(Locale.ROOT, "folder sizes of bucket %s recomputed: %,d folder(s)%n", bucket, written);
    }
  }

  private ListedObjects.Listed listed(S3Object s) {
    return new ListedObjects.Listed(bucket, s.key(), s.size(), BucketListing.etag(s.eTag()),
        s.lastModified(), s.storageClassAsString(), null, null);
  }

  private static void sample(List<String> samples, String key) {
    if (samples.size() < SAMPLES) {
      samples.add(key);
    }
  }

  private static void print(PrintWriter out, String what, List<String> samples, long count) {
    if (count > 0) {
      out.printf(Locale.ROOT, "  %s (%s%,d):%n", what, count > samples.size() ? "first " + samples.size() + " of " : "", count);
      samples.forEach(k -> out.println("    " + k));
    }
  }
}
