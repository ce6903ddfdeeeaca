package io.s3index.ops.tools;

import io.s3index.shared.db.Database;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/** {@code ops backfill}: loads a bucket that existed before its events were wired. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
    description = {
        "List a bucket with ListObjectsV2 (and with --head, fetch content type and user metadata)",
        "and load it into the index. Never overwrites what events wrote: an object an event",
        "described keeps the event's state, and any later event wins over the listing."})
public final class BackfillCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Option(names = "--bucket", required = true, description = "bucket to load")
  String bucket;

  @Option(names = "--prefix", description = "only keys under this prefix")
  String prefix;

  @Option(names = "--head", description = "HeadObject each object for content type and user metadata")
  boolean head;

  @Option(names = "--concurrency", defaultValue = "16", description = "parallel HeadObject calls (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Override
  public Integer call() {
    if (concurrency < 1 || concurrency > 256) {
      throw new IllegalArgumentException("--concurrency must be between 1 and 256");
    }
    PrintWriter out = spec.commandLine().getOut();
    var s3Settings = connections.s3();
    Instant started = Instant.now();
    long listed = 0;
    long written = 0;
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try (Database database = connections.openDatabase();
         S3Client s3 = s3Settings.client(concurrency * 2)) {
      BucketListing listing = new BucketListing(s3, String.valueOf(s3Settings.endpoint()));
      ListedObjects loader = new ListedObjects(database.jdbi());
      Iterator<S3Object> objects = listing.guarded(listing.objects(bucket, prefix), bucket);
      Progress progress = new Progress(out, "backfilled", -1);
      List<S3Object> page = new ArrayList<>(1000);
      while (objects.hasNext()) {
        page.add(objects.next());
        if (page.size() == 1000 || !objects.hasNext()) {
          List<HeadObjectResponse> heads = head ? listing.head(bucket, page, pool) : null;
          List<ListedObjects.Listed> rows = new ArrayList<>(page.size());
          for (int i = 0; i < page.size(); i++) {
            S3Object o = page.get(i);
            HeadObjectResponse h = heads == null ? null : heads.get(i);
            if (heads != null && h == null) {
              continue;
            }
            rows.add(new ListedObjects.Listed(bucket, o.key(), o.size(), BucketListing.etag(o.eTag()),
                o.lastModified(), o.storageClassAsString(),
                h == null || h.contentType() == null ? null : h.contentType().toLowerCase(Locale.ROOT),
                h == null ? null : BucketListing.metadata(h)));
          }
          written += loader.upsert(rows, false, started);
          listed += page.size();
          progress.update(listed);
          page.clear();
        }
      }
      // Listed without error, so the bucket exists, even when it holds nothing.
      loader.register(bucket);
      progress.finish(listed);
    } finally {
      pool.shutdownNow();
    }
    out.printf(Locale.ROOT, "listed %,d object(s) in %s%s; wrote %,d; %,d left as events described them%n",
        listed, bucket, prefix == null ? "" : "/" + prefix, written, listed - written);
    return 0;
  }
}
