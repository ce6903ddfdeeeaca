package io.s3index.queryapi.s3;

import io.javalin.http.Context;
import io.s3index.queryapi.access.Principal;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;

/**
 * ListBuckets, HeadBucket and GetBucketLocation, over the buckets the index knows (the {@code
 * buckets} table: every bucket an event, backfill or repair ever named, emptied or not) and those
 * the configuration names.
 */
final class S3Buckets {

  /** Buckets never stop existing in the index, so a bucket found once is not looked up again. */
  private static final int KNOWN_CACHE_SIZE = 10_000;

  private final Jdbi jdbi;
  private final S3ApiConfig config;
  private final Instant started;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  S3Buckets(Jdbi jdbi, S3ApiConfig config, Clock clock) {
    this.jdbi = jdbi;
    this.config = config;
    this.started = clock.instant();
    known.addAll(config.buckets());
  }

  boolean exists(String bucket) {
    if (known.contains(bucket)) {
      return true;
    }
    boolean found = jdbi.withHandle(h -> h.createQuery("SELECT EXISTS (SELECT 1 FROM buckets WHERE name = :name)")
        .bind("name", bucket)
        .mapTo(Boolean.class)
        .one());
    if (found && known.size() < KNOWN_CACHE_SIZE) {
      known.add(bucket);
    }
    return found;
  }

  /** AccessDenied outside the caller's scopes (whether or not the bucket exists), else NoSuchBucket. */
  void requireReadable(Principal principal, String bucket) {
    if (!principal.maySee(bucket)) {
      throw S3Error.accessDenied("Access Denied");
    }
    if (!exists(bucket)) {
      throw S3Error.noSuchBucket(bucket);
    }
  }

  void list(Context ctx, Principal principal) {
    Map<String, Instant> all = new TreeMap<>();
    jdbi.useHandle(h -> h.createQuery("SELECT name, first_seen FROM buckets ORDER BY name")
        .map((rs, c) -> all.put(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant()))
        .list());
    config.buckets().forEach(b -> all.putIfAbsent(b, started));
    S3Xml xml = new S3Xml(256 + all.size() * 96).root("ListAllMyBucketsResult", true);
    S3Listings.owner(xml);
    xml.open("Buckets");
    all.forEach((name, created) -> {
      if (principal.maySee(name)) {
        xml.open("Bucket").element("Name", name).element("CreationDate", created).close("Bucket");
      }
    });
    xml.close("Buckets").close("ListAllMyBucketsResult");
    ctx.contentType("application/xml").result(xml.bytes());
  }

  void head(Context ctx, Principal principal, String bucket) {
    requireReadable(principal, bucket);
    ctx.header("x-amz-bucket-region", config.region());
    ctx.status(200).result("");
  }

  void location(Context ctx, Principal principal, String bucket) {
    requireReadable(principal, bucket);
    // S3 answers an empty constraint for us-east-1.
    S3Xml xml = new S3Xml(160).root("LocationConstraint", true);
    if (!config.region().equals("us-east-1")) {
      xml.text(config.region());
    }
    ctx.contentType("application/xml").result(xml.close("LocationConstraint").bytes());
  }
}
