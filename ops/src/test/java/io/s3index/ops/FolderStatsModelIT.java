package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import io.s3index.testing.TestServers;
import io.s3index.testing.Waits;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Folder sizes against a model: 20 seeds, each a bucket with a random history of creates,
 * overwrites, deletes and duplicate deliveries over nested folders, shuffled across and within keys
 * and indexed by two indexers of one group at once. Every folder's kept sizes (objects, bytes,
 * newest last_modified) must equal what the model's final objects add up to; then the same after
 * {@code ops rebuild} from the topic, and after {@code ops backfill} from a bucket holding the final
 * objects, where {@code ops reconcile} finds a damaged folder and {@code --fix} repairs it.
 */
class FolderStatsModelIT {

  private static final int SEEDS = 20;
  private static final String TOPIC = "folder-stats-model";
  private static final String[] SEGMENTS = {"a", "b", "c", "d d", "é", "a.b"};
  private static final String[] NAMES = {"x", "y", "z.txt", ""};

  private record Live(long size, Instant lastModified) {}

  private record Sizes(long objects, long bytes, Instant newest) {}

  private static final List<ObjectEvent> events = new ArrayList<>();
  /** Per bucket, the model's final live objects. */
  private static final Map<String, TreeMap<String, Live>> models = new TreeMap<>();

  @BeforeAll
  static void histories() {
    for (int seed = 0; seed < SEEDS; seed++) {
      history(new Random(seed), "fsm-" + seed);
    }
    Collections.shuffle(events, new Random(99));
    TestServers.kafka().createTopic(TOPIC, 4);
  }

  /** One bucket's history; the model keeps, per key, the event with the greatest sequencer. */
  private static void history(Random random, String bucket) {
    Map<String, ObjectEvent> newest = new TreeMap<>();
    Instant t0 = Instant.parse("2025-03-01T00:00:00Z");
    int count = 150 + random.nextInt(100);
    for (int n = 1; n <= count; n++) {
      StringBuilder key = new StringBuilder();
      int depth = random.nextInt(4);
      for (int d = 0; d < depth; d++) {
        key.append(random.nextInt(12) == 0 ? "" : SEGMENTS[random.nextInt(SEGMENTS.length)]).append('/');
      }
      key.append(NAMES[random.nextInt(depth == 0 ? NAMES.length - 1 : NAMES.length)]);
      String seq = Sequencer.normalize(String.format(Locale.ROOT, "%016X", (long) n * 16));
      // Times are random, not in sequencer order: removing a folder's newest object is common.
      Instant time = t0.plusSeconds(random.nextInt(100_000)).plusMillis(n);
      ObjectEvent e = random.nextInt(4) == 0
          ? new ObjectEvent(bucket, key.toString(), ObjectEvent.Kind.REMOVED, 0, null, null, seq, time,
              "ObjectRemoved:DeleteMarkerCreated")
          : new ObjectEvent(bucket, key.toString(), ObjectEvent.Kind.CREATED, random.nextInt(2_000), "e" + n,
              null, seq, time, "ObjectCreated:Put");
      events.add(e);
      if (random.nextInt(10) == 0) {
        events.add(e);
      }
      newest.merge(e.key(), e, (held, incoming) -> incoming.isNewerThan(held) ? incoming : held);
    }
    TreeMap<String, Live> live = new TreeMap<>();
    newest.forEach((key, e) -> {
      if (e.kind() == ObjectEvent.Kind.CREATED) {
        live.put(key, new Live(e.size(), e.eventTime()));
      }
    });
    models.put(bucket, live);
  }

  /** The folders of a key: '' and every prefix ending in '/'. */
  private static List<String> folders(String key) {
    List<String> folders = new ArrayList<>();
    folders.add("");
    for (int i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
      folders.add(key.substring(0, i + 1));
    }
    return folders;
  }

  /** What every folder's sizes must be, added up from objects. */
  private static Map<String, Sizes> expected(Map<String, Live> objects) {
    Map<String, Sizes> sizes = new TreeMap<>();
    objects.forEach((key, o) -> {
      for (String folder : folders(key)) {
        sizes.merge(folder, new Sizes(1, o.size(), o.lastModified()), (a, b) -> new Sizes(a.objects() + b.objects(),
            a.bytes() + b.bytes(), a.newest().isAfter(b.newest()) ? a.newest() : b.newest()));
      }
    });
    return sizes;
  }

  /** The index's kept sizes of a bucket, summed over stripes, leaving out emptied folders. */
  private static Map<String, Sizes> kept(Database database, String bucket) {
    Map<String, Sizes> sizes = new TreeMap<>();
    database.jdbi().useHandle(h -> h.createQuery("""
            SELECT prefix, sum(objects) AS objects, sum(bytes) AS bytes, max(newest) AS newest
            FROM folder_stats WHERE bucket = :bucket GROUP BY prefix
            HAVING sum(objects) <> 0 OR sum(bytes) <> 0 OR max(newest) IS NOT NULL""")
        .bind("bucket", bucket)
        .map((rs, c) -> sizes.put(rs.getString("prefix"), new Sizes(rs.getLong("objects"), rs.getLong("bytes"),
            rs.getObject("newest") == null ? null : rs.getObject("newest", java.time.OffsetDateTime.class).toInstant())))
        .list());
    return sizes;
  }

  /** The index's live objects of a bucket. */
  private static Map<String, Live> indexed(Database database, String bucket) {
    Map<String, Live> live = new TreeMap<>();
    database.jdbi().useHandle(h -> h.createQuery(
            "SELECT key, size, last_modified FROM objects WHERE bucket = :bucket AND NOT deleted")
        .bind("bucket", bucket)
        .map((rs, c) -> live.put(rs.getString(1), new Live(rs.getLong(2),
            rs.getObject(3, java.time.OffsetDateTime.class).toInstant())))
        .list());
    return live;
  }

  private static void assertMatchesModel(Database database, String when) {
    for (Map.Entry<String, TreeMap<String, Live>> model : models.entrySet()) {
      String bucket = model.getKey();
      assertThat(indexed(database, bucket)).as("%s: the live objects of %s", when, bucket).isEqualTo(model.getValue());
      assertThat(kept(database, bucket)).as("%s: the folder sizes of %s", when, bucket)
          .isEqualTo(expected(model.getValue()));
    }
  }

  private static String run(String... args) {
    StringWriter out = new StringWriter();
    CommandLine cli = OpsMain.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(out, true));
    int exit = cli.execute(args);
    assertThat(exit).as(out.toString()).isZero();
    return out.toString();
  }

  /** A command line: the subcommand and its options, then the database's. */
  private static String[] connection(DatabaseConfig db, String... command) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(List.of("--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password()));
    return args.toArray(String[]::new);
  }

  @Test
  void twoIndexersThenARebuildKeepEveryFoldersSizesEqualToTheModel() {
    DatabaseConfig liveDb = TestServers.postgres().createDatabase("folder_stats_live");
    DatabaseConfig rebuiltDb = TestServers.postgres().createDatabase("folder_stats_rebuilt");
    try (Database live = new Database(liveDb, "live"); Database rebuilt = new Database(rebuiltDb, "rebuilt")) {
      live.migrate();
      IndexerConfig config = IndexerConfig.of(TestServers.kafka().bootstrapServers(), TOPIC, liveDb)
          .withGroupId("folder-stats").withMaxPollRecords(40);
      try (Indexer a = Indexer.start(config, live); Indexer b = Indexer.start(config, live)) {
        // Both hold partitions before the first event is sent, so that both write at once.
        Waits.until("the two indexers split the partitions", Duration.ofSeconds(60),
            () -> !a.assignment().isEmpty() && !b.assignment().isEmpty()
                && a.assignment().size() + b.assignment().size() == 4,
            () -> a.assignment() + " / " + b.assignment());
        try (EventPublisher publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), TOPIC)) {
          publisher.publishAll(events, Duration.ofSeconds(60));
        }
        Waits.until("the two indexers read the topic", Duration.ofSeconds(120),
            () -> a.stats().records() + b.stats().records() >= events.size(),
            () -> a.describe() + " / " + b.describe());
        assertThat(a.stats().records()).as("indexer a did part of the work").isPositive();
        assertThat(b.stats().records()).as("indexer b did part of the work").isPositive();
      }
      assertMatchesModel(live, "live, two indexers");
      // The stripes: two sessions wrote, so the root is kept in more than one row.
      long rootRows = live.jdbi().withHandle(h -> h.createQuery(
          "SELECT count(*) FROM folder_stats WHERE bucket = 'fsm-0' AND prefix = ''").mapTo(Long.class).one());
      assertThat(rootRows).isGreaterThan(1);

      rebuilt.migrate();
      String out = run(connection(rebuiltDb, "rebuild", "--bootstrap-servers", TestServers.kafka().bootstrapServers(),
          "--topic", TOPIC, "--group", "folder-stats", "--catch-up-lag", "100"));
      assertThat(out).contains("folder sizes and metadata entries derived");
      assertMatchesModel(rebuilt, "after ops rebuild");
    }
  }

  @Test
  void backfillKeepsFolderSizesAndReconcileRepairsThem() {
    URI endpoint = TestServers.s3().endpoint();
    DatabaseConfig db = TestServers.postgres().createDatabase("folder_stats_backfill");
    String bucket = "fsm-backfill";
    try (Database database = new Database(db, "backfill");
         S3Client s3 = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
             .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                 TestServers.s3().accessKey(), TestServers.s3().secretKey()))).build()) {
      database.migrate();
      s3.createBucket(b -> b.bucket(bucket));
      // Three seeds' final objects in one bucket, under a folder each (keys a store takes as given).
      List<String> uploaded = new ArrayList<>();
      for (int seed = 0; seed < 3; seed++) {
        String root = "seed" + seed + "/";
        models.get("fsm-" + seed).forEach((key, o) -> {
          // S3Proxy's signature check trips on some encoded keys: plain ones only here.
          if (!key.endsWith("/") && !key.startsWith("/") && !key.contains("//") && key.matches("[a-z0-9./]+")) {
            try {
              s3.putObject(b -> b.bucket(bucket).key(root + key), RequestBody.fromBytes(new byte[(int) o.size()]));
            } catch (RuntimeException e) {
              throw new AssertionError("PUT " + root + key + " (" + o.size() + " bytes)", e);
            }
            uploaded.add(root + key);
          }
        });
      }
      String[] s3Options = {"--s3-endpoint", endpoint.toString()};
      String out = run(connection(db, concat(new String[] {"backfill", "--bucket", bucket}, s3Options)));
      assertThat(out).contains("listed " + uploaded.size() + " object(s)");
      Map<String, Live> indexed = indexed(database, bucket);
      assertThat(indexed.keySet()).containsExactlyInAnyOrderElementsOf(uploaded);
      assertThat(kept(database, bucket)).as("after backfill").isEqualTo(expected(indexed));

      // Damage one folder's sizes and one stripe of the root: reconcile names both, --fix repairs.
      database.jdbi().useHandle(h -> {
        h.execute("UPDATE folder_stats SET objects = objects + 3 WHERE bucket = ? AND prefix = 'seed1/'", bucket);
        h.execute("INSERT INTO folder_stats VALUES (?, '', 7, -1, -10, NULL)", bucket);
      });
      String check = run(connection(db, concat(new String[] {"reconcile", "--bucket", bucket}, s3Options)));
      assertThat(check).contains("folder sizes: 2 folder(s) differ", "seed1/ (counted", "(bucket) (counted");
      assertThat(kept(database, bucket)).isNotEqualTo(expected(indexed));
      String fix = run(connection(db, concat(new String[] {"reconcile", "--bucket", bucket, "--fix"}, s3Options)));
      assertThat(fix).contains("folder sizes of bucket " + bucket + " recomputed");
      assertThat(kept(database, bucket)).as("after reconcile --fix").isEqualTo(expected(indexed));
      String clean = run(connection(db, concat(new String[] {"reconcile", "--bucket", bucket}, s3Options)));
      assertThat(clean).contains("folder sizes: 0 folder(s) differ");
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
