package io.s3index.bench;

import io.javalin.Javalin;
import io.s3index.embedded.EmbeddedS3;
import io.s3index.queryapi.access.RateLimiter;
import io.s3index.queryapi.s3.S3ApiConfig;
import io.s3index.queryapi.s3.S3Endpoint;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.db.Database;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/**
 * The S3-compatible endpoint, with the AWS SDK's ListObjectsV2 (pages of 1,000):
 *
 * <ul>
 *   <li>side by side: complete walks of the same bucket through the endpoint and from the embedded
 *       S3 server (S3Proxy's in-memory store), alternating, wall time and ratio, page p50/p99;
 *   <li>at size: complete walks of a larger bucket, in the index only, through the endpoint.
 *       S3Proxy cannot serve that size: it reads the whole bucket for every page (its page time
 *       grows with the bucket), its in-memory store holds 4 GiB of 8 KiB blocks (about 500 k
 *       objects), and over a folder a page of a 1 M bucket outlasted the SDK's timeout.
 * </ul>
 */
final class S3EndpointBench {

  static final String SECTION = "S3 endpoint (full ListObjectsV2 walks, pages of 1,000)";
  private static final String SHARED = "s3list";
  private static final String LARGE = "s3large";
  private static final byte[] X = {'x'};

  private final BenchEnvironment env;
  private final PrintWriter out;

  S3EndpointBench(BenchEnvironment env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  private static String key(long i) {
    return String.format(Locale.ROOT, "logs/%03d/%02d/object-%08d.json", i % 1000, i % 97, i);
  }

  // The SDK's default Apache 4 client, as the other S3 benchmarks use it.
  @SuppressWarnings("deprecation")
  private static S3Client client(URI endpoint) {
    return S3Client.builder()
        .endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY)))
        .httpClientBuilder(software.amazon.awssdk.http.apache.ApacheHttpClient.builder()
            .socketTimeout(Duration.ofMinutes(5)))
        .build();
  }

  /**
   * @param shared objects in the side-by-side bucket (in both servers)
   * @param large objects in the bucket walked through the endpoint only
   */
  void run(Report report, int shared, int large, int walks) throws Exception {
    try (Database database = new Database(env.postgres.createDatabase("bench_s3_endpoint"), "bench-s3-endpoint")) {
      database.migrate();
      run(report, database, shared, large, walks);
    } finally {
      env.s3.deleteDirect(SHARED);
    }
  }

  private void run(Report report, Database database, int shared, int large, int walks) throws Exception {
    Javalin endpoint = S3Endpoint.create(S3ApiConfig.open(0), database,
        new CursorCodec("bench-s3-endpoint-secret".getBytes(StandardCharsets.UTF_8), Duration.ofHours(1), Clock.systemUTC()),
        new RateLimiter(0, 1, System::nanoTime), Duration.ofSeconds(30), Clock.systemUTC()).start("127.0.0.1", 0);
    URI ourUri = URI.create("http://127.0.0.1:" + endpoint.port());
    try (S3Client store = client(env.s3.endpoint()); S3Client ours = client(ourUri)) {
      out.printf(Locale.ROOT, "S3 endpoint: %,d objects in the embedded S3 server and the index, %,d in the index only ...%n",
          shared, large);
      out.flush();
      long started = System.nanoTime();
      // Straight into the server's store: through its HTTP endpoint it takes about 400 PUTs/s here.
      for (long i = 0; i < shared; i++) {
        env.s3.putDirect(SHARED, key(i), X);
      }
      load(database, SHARED, shared);
      load(database, LARGE, large);
      out.printf(Locale.ROOT, "  loaded in %.0f s%n", (System.nanoTime() - started) / 1e9);

      // Side by side: walks alternate, the endpoint first, after a warm-up of 20 pages each.
      walk(ours, SHARED, 20_000, null);
      walk(store, SHARED, 20_000, null);
      double[] oursWall = new double[walks];
      double[] storeWall = new double[walks];
      List<Double> oursPages = new ArrayList<>();
      List<Double> storePages = new ArrayList<>();
      for (int w = 0; w < walks; w++) {
        oursWall[w] = walk(ours, SHARED, shared, oursPages);
        storeWall[w] = walk(store, SHARED, shared, storePages);
        out.printf(Locale.ROOT, "  walk %d of %,d objects: endpoint %.2f s, S3 server %.1f s%n",
            w + 1, shared, oursWall[w], storeWall[w]);
        out.flush();
      }
      double o = Report.median(oursWall);
      double s = Report.median(storeWall);
      double[] op = toArray(oursPages);
      double[] sp = toArray(storePages);
      String n = String.format(Locale.ROOT, "%,d objects, median of %d walks", shared, walks);
      report.add(SECTION, "full listing through the endpoint", o, "s", n);
      report.add(SECTION, "full listing from the embedded S3 server", s, "s", n);
      report.add(SECTION, "S3 server / endpoint", s / o, "x", "wall time ratio, same bucket, walks alternating");
      report.add(SECTION, "endpoint page p50 / p99", Report.median(op), "ms",
          String.format(Locale.ROOT, "p99 %.1f ms, %d pages", Report.percentile(op, 99), op.length));
      report.add(SECTION, "S3 server page p50 / p99", Report.median(sp), "ms",
          String.format(Locale.ROOT, "p99 %.0f ms, %d pages", Report.percentile(sp, 99), sp.length));

      // At size, through the endpoint only.
      double[] largeWall = new double[walks];
      List<Double> largePages = new ArrayList<>();
      for (int w = 0; w < walks; w++) {
        largeWall[w] = walk(ours, LARGE, large, largePages);
        out.printf(Locale.ROOT, "  walk %d of %,d objects through the endpoint: %.2f s%n", w + 1, large, largeWall[w]);
        out.flush();
      }
      double[] lp = toArray(largePages);
      report.add(SECTION, String.format(Locale.ROOT, "full listing of %,d objects through the endpoint", large),
          Report.median(largeWall), "s", String.format(Locale.ROOT, "median of %d walks; %,.0f objects/s", walks,
              large / Report.median(largeWall)));
      report.add(SECTION, "  its page p50 / p99", Report.median(lp), "ms",
          String.format(Locale.ROOT, "p99 %.1f ms, %d pages, SDK parsing included", Report.percentile(lp, 99), lp.length));
      double[] raw = rawPages(ourUri, large, 200);
      report.add(SECTION, "  one page as bytes, p50 / p99", Report.median(raw), "ms",
          String.format(Locale.ROOT, "p99 %.1f ms; %d pages at spread start-afters, no client XML parsing",
              Report.percentile(raw, 99), raw.length));
    } finally {
      endpoint.stop();
    }
  }

  private static void load(Database database, String bucket, int objects) {
    database.jdbi().useHandle(h -> {
      h.execute("""
          INSERT INTO objects (bucket, key, size, etag, last_modified, storage_class, sequencer, event_time)
          SELECT ?, format('logs/%s/%s/object-%s', lpad((g % 1000)::text, 3, '0'),
                 lpad((g % 97)::text, 2, '0'), lpad(g::text, 8, '0')),
                 1, md5(g::text), now(), 'STANDARD', '01', now()
          FROM generate_series(0, ?) g ON CONFLICT DO NOTHING""", bucket, objects - 1);
      h.execute("INSERT INTO buckets (name) VALUES (?) ON CONFLICT DO NOTHING", bucket);
      h.execute("VACUUM ANALYZE objects");
    });
  }

  /** Pages of 1,000 as raw HTTP (bytes only), from spread start-afters: the endpoint's own share. */
  private static double[] rawPages(URI endpoint, int objects, int count) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    double[] raw = new double[count];
    for (int i = 0; i < count + 20; i++) {
      String after = key(i * 7919L % objects);
      long t = System.nanoTime();
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(endpoint.resolve("/" + LARGE
              + "?list-type=2&max-keys=1000&start-after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("the endpoint answered " + r.statusCode());
      }
      if (i >= 20) {
        raw[i - 20] = (System.nanoTime() - t) / 1e6;
      }
    }
    return raw;
  }

  private static double[] toArray(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * A walk of the first {@code objects} keys of a bucket (all of them: a complete walk); answers
   * its wall time in seconds and adds each page's time in ms (unless {@code pages} is null).
   */
  private static double walk(S3Client client, String bucket, int objects, List<Double> pages) {
    long started = System.nanoTime();
    long count = 0;
    String token = null;
    do {
      long t = System.nanoTime();
      ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).maxKeys(1000);
      if (token != null) {
        request.continuationToken(token);
      }
      ListObjectsV2Response page = client.listObjectsV2(request.build());
      if (pages != null) {
        pages.add((System.nanoTime() - t) / 1e6);
      }
      count += page.contents().size();
      token = page.isTruncated() && count < objects ? page.nextContinuationToken() : null;
    } while (token != null);
    if (count < objects) {
      throw new IllegalStateException("a walk of " + bucket + " listed " + count + " objects, not " + objects);
    }
    return (System.nanoTime() - started) / 1e9;
  }
}
