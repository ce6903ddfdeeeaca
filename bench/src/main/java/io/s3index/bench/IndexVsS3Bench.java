package io.s3index.bench;

import io.s3index.embedded.EmbeddedS3;
import io.s3index.indexer.enrich.S3Settings;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Index versus S3: a page of 50 from the API versus the old way (ListObjectsV2 of 50, then 50
 * HeadObject on 10 threads) against the embedded S3 server, with S3 requests counted per listing.
 */
final class IndexVsS3Bench {

  static final String SECTION = "index vs S3 (listing of 50 with content type and metadata)";

  private final BenchEnvironment env;
  private final Catalog catalog;
  private final PrintWriter out;

  IndexVsS3Bench(BenchEnvironment env, Catalog catalog, PrintWriter out) {
    this.env = env;
    this.catalog = catalog;
    this.out = out;
  }

  // The same deprecated Apache 4 client as the indexer (S3Settings), so "the old way" is measured as the indexer talks to S3.
  @SuppressWarnings("deprecation")
  void run(Report report, int objects, int repeats) {
    AtomicLong s3Requests = new AtomicLong();
    S3Settings settings = new S3Settings(env.s3.endpoint(), "us-east-1", EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, true);
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try (S3Client s3 = S3Client.builder()
        .endpointOverride(env.s3.endpoint()).region(software.amazon.awssdk.regions.Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY)))
        .httpClientBuilder(software.amazon.awssdk.http.apache.ApacheHttpClient.builder().maxConnections(20))
        .overrideConfiguration(c -> c.addExecutionInterceptor(new ExecutionInterceptor() {
          @Override
          public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            s3Requests.incrementAndGet();
          }
        }))
        .build()) {
      out.printf(Locale.ROOT, "Index vs S3: uploading %,d objects ...%n", objects);
      out.flush();
      s3.createBucket(b -> b.bucket("compare"));
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < objects; i++) {
        String key = String.format(Locale.ROOT, "photos/%06d.jpg", i);
        keys.add(key);
        s3.putObject(b -> b.bucket("compare").key(key).contentType("image/jpeg").metadata(Map.of("owner", "u" + (key.hashCode() & 7))),
            RequestBody.fromString("x"));
      }
      // The same objects in the index, as the indexer would have left them.
      catalog.database.jdbi().useHandle(h -> h.execute("""
          INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, storage_class, sequencer, event_time, metadata)
          SELECT 'compare', 'photos/' || lpad(g::text, 6, '0') || '.jpg', 1, md5(g::text), 'image/jpeg', now(), 'STANDARD', '01', now(),
                 jsonb_build_object('owner', 'u1')
          FROM generate_series(0, ?) g ON CONFLICT DO NOTHING""", objects - 1));
      Random random = new Random(3);
      Http http = new Http();
      double[] oldWay = new double[repeats];
      double[] api = new double[repeats];
      long requestsBefore = s3Requests.get();
      for (int i = 0; i < repeats + 3; i++) {
        String after = keys.get(random.nextInt(keys.size() - 60));
        long t = System.nanoTime();
        ListObjectsV2Response listing = s3.listObjectsV2(b -> b.bucket("compare").maxKeys(50).startAfter(after));
        List<CompletableFuture<?>> heads = new ArrayList<>();
        for (S3Object o : listing.contents()) {
          heads.add(CompletableFuture.runAsync(() -> s3.headObject(b -> b.bucket("compare").key(o.key())), pool));
        }
        heads.forEach(CompletableFuture::join);
        if (i >= 3) {
          oldWay[i - 3] = (System.nanoTime() - t) / 1e6;
        }
      }
      double requestsPerListing = (double) (s3Requests.get() - requestsBefore) / (repeats + 3);
      long beforeApi = s3Requests.get();
      for (int i = 0; i < repeats + 3; i++) {
        String after = keys.get(random.nextInt(keys.size() - 60));
        long t = System.nanoTime();
        http.get(catalog.url("/v1/buckets/compare/objects?page_size=50&start_after=" + after));
        if (i >= 3) {
          api[i - 3] = (System.nanoTime() - t) / 1e6;
        }
      }
      long apiS3Requests = s3Requests.get() - beforeApi;
      double o = Report.median(oldWay);
      double a = Report.median(api);
      report.add(SECTION, "old way: ListObjectsV2 + 50 HeadObject (10 threads)", o, "ms",
          String.format(Locale.ROOT, "median of %d, p99 %.1f ms", repeats, Report.percentile(oldWay, 99)));
      report.add(SECTION, "API page of 50", a, "ms",
          String.format(Locale.ROOT, "median of %d, p99 %.2f ms", repeats, Report.percentile(api, 99)));
      report.add(SECTION, "old way / API", o / a, "x", "target >= 20");
      report.add(SECTION, "S3 requests per listing, old way", requestsPerListing, "requests", null);
      report.add(SECTION, "S3 requests per API page", apiS3Requests / (double) (repeats + 3), "requests",
          "listings and HeadObject make no S3 request; only the S3 endpoint's GetObject proxy reaches an origin");
      out.printf(Locale.ROOT, "  old way %.1f ms, API %.2f ms%n", o, a);
      out.flush();
    } finally {
      pool.shutdownNow();
    }
  }
}
