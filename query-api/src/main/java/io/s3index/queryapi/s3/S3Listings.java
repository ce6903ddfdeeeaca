package io.s3index.queryapi.s3;

import io.javalin.http.Context;
import io.s3index.queryapi.access.Principal;
import io.s3index.queryapi.listing.KeyListing;
import io.s3index.queryapi.listing.ObjectRow;
import io.s3index.shared.cursor.InvalidCursorException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * ListObjectsV2 and ListObjects (V1) from the index, with S3's semantics: every entry, key or
 * common prefix, sorts after {@code start-after} / {@code marker} in UTF-8 byte order; keys and
 * common prefixes count together toward {@code max-keys} (0 to 1000; larger is 1000; 0 is an
 * empty, untruncated answer); continuation tokens are the listing's signed cursors, bound to the
 * bucket, prefix, delimiter and start-after, and carry the walk's snapshot as the JSON API's do.
 */
final class S3Listings {

  private static final String OWNER_ID = "s3index";
  private static final KeyListing.Page EMPTY = new KeyListing.Page(List.of(), List.of(), null);

  private final KeyListing listing;

  S3Listings(KeyListing listing) {
    this.listing = listing;
  }

  void listV2(Context ctx, Principal principal, String bucket, S3Query q) {
    String prefix = q.get("prefix");
    String delimiter = q.get("delimiter");
    String startAfter = q.get("start-after");
    String token = q.get("continuation-token");
    if (token != null && token.isEmpty()) {
      throw S3Error.invalidArgument("The continuation token provided is incorrect");
    }
    int maxKeys = maxKeys(q);
    boolean url = urlEncoding(q);
    boolean fetchOwner = "true".equals(q.get("fetch-owner"));
    requireRead(principal, bucket, prefix);
    KeyListing.Page page = read(bucket, prefix, delimiter, startAfter, maxKeys, token);

    S3Xml xml = new S3Xml(512 + page.objects().size() * 300).root("ListBucketResult", true)
        .element("Name", bucket)
        .element("Prefix", encode(prefix == null ? "" : prefix, url));
    if (delimiter != null && !delimiter.isEmpty()) {
      xml.element("Delimiter", encode(delimiter, url));
    }
    xml.element("MaxKeys", maxKeys);
    if (url) {
      xml.element("EncodingType", "url");
    }
    xml.element("KeyCount", page.objects().size() + page.commonPrefixes().size())
        .element("IsTruncated", page.nextToken() != null)
        .element("ContinuationToken", token)
        .element("NextContinuationToken", page.nextToken());
    if (startAfter != null) {
      xml.element("StartAfter", encode(startAfter, url));
    }
    entries(xml, page, url, fetchOwner);
    ctx.contentType("application/xml").result(xml.close("ListBucketResult").bytes());
  }

  void listV1(Context ctx, Principal principal, String bucket, S3Query q) {
    String prefix = q.get("prefix");
    String delimiter = q.get("delimiter");
    String marker = q.get("marker");
    int maxKeys = maxKeys(q);
    boolean url = urlEncoding(q);
    requireRead(principal, bucket, prefix);
    KeyListing.Page page = read(bucket, prefix, delimiter, marker, maxKeys, null);
    boolean truncated = page.nextToken() != null;

    S3Xml xml = new S3Xml(512 + page.objects().size() * 300).root("ListBucketResult", true)
        .element("Name", bucket)
        .element("Prefix", encode(prefix == null ? "" : prefix, url))
        .element("Marker", encode(marker == null ? "" : marker, url));
    boolean delimited = delimiter != null && !delimiter.isEmpty();
    if (truncated && delimited) {
      // S3 sends NextMarker only with a delimiter; without one, clients continue from the last key.
      xml.element("NextMarker", encode(last(page), url));
    }
    xml.element("MaxKeys", maxKeys);
    if (delimited) {
      xml.element("Delimiter", encode(delimiter, url));
    }
    if (url) {
      xml.element("EncodingType", "url");
    }
    xml.element("IsTruncated", truncated);
    entries(xml, page, url, true);
    ctx.contentType("application/xml").result(xml.close("ListBucketResult").bytes());
  }

  private KeyListing.Page read(String bucket, String prefix, String delimiter, String startAfter,
      int maxKeys, String token) {
    if (maxKeys == 0) {
      return EMPTY;
    }
    try {
      return listing.page(new KeyListing.Request(bucket, prefix, delimiter, startAfter, maxKeys, token));
    } catch (InvalidCursorException e) {
      throw S3Error.invalidArgument("The continuation token provided is incorrect");
    } catch (IllegalArgumentException e) {
      throw S3Error.invalidArgument(e.getMessage());
    }
  }

  private static void entries(S3Xml xml, KeyListing.Page page, boolean url, boolean owner) {
    for (ObjectRow o : page.objects()) {
      xml.open("Contents")
          .element("Key", encode(o.key(), url))
          .element("LastModified", o.lastModified())
          .element("ETag", o.etag() == null ? null : '"' + o.etag() + '"')
          .element("Size", o.size());
      if (owner) {
        owner(xml);
      }
      xml.element("StorageClass", o.storageClass() == null ? "STANDARD" : o.storageClass())
          .close("Contents");
    }
    for (String p : page.commonPrefixes()) {
      xml.open("CommonPrefixes").element("Prefix", encode(p, url)).close("CommonPrefixes");
    }
  }

  /** The owner S3 names in listings; the index does not know owners, so one fixed owner. */
  static void owner(S3Xml xml) {
    xml.open("Owner").element("ID", OWNER_ID).element("DisplayName", OWNER_ID).close("Owner");
  }

  /** The last entry of a page in byte order, key or common prefix. */
  private static String last(KeyListing.Page page) {
    String key = page.objects().isEmpty() ? null : page.objects().get(page.objects().size() - 1).key();
    String prefix = page.commonPrefixes().isEmpty() ? null
        : page.commonPrefixes().get(page.commonPrefixes().size() - 1);
    if (key == null || prefix == null) {
      return key == null ? prefix : key;
    }
    return Arrays.compareUnsigned(key.getBytes(StandardCharsets.UTF_8),
        prefix.getBytes(StandardCharsets.UTF_8)) > 0 ? key : prefix;
  }

  private static void requireRead(Principal principal, String bucket, String prefix) {
    if (!principal.mayRead(bucket, prefix == null ? "" : prefix)) {
      throw S3Error.accessDenied("Access Denied");
    }
  }

  /** {@code max-keys}: 1000 when absent, 0 to 1000, larger capped to 1000 as S3 does. */
  private static int maxKeys(S3Query q) {
    String raw = q.get("max-keys");
    if (raw == null) {
      return KeyListing.MAX_KEYS;
    }
    if (!raw.matches("-?[0-9]{1,10}")) {
      throw S3Error.invalidArgument("Provided max-keys not an integer or within integer range");
    }
    long value = Long.parseLong(raw);
    if (value < 0) {
      throw S3Error.invalidArgument("max-keys cannot be negative");
    }
    if (value > Integer.MAX_VALUE) {
      throw S3Error.invalidArgument("Provided max-keys not an integer or within integer range");
    }
    return (int) Math.min(value, KeyListing.MAX_KEYS);
  }

  private static boolean urlEncoding(S3Query q) {
    String raw = q.get("encoding-type");
    if (raw == null) {
      return false;
    }
    if (!raw.equalsIgnoreCase("url")) {
      throw S3Error.invalidArgument("Invalid Encoding Method specified in Request");
    }
    return true;
  }

  /**
   * {@code encoding-type=url}: every byte of the UTF-8 form but letters, digits and {@code
   * - _ . / *} as %XX, a space as '+' (form encoding, which the SDKs and tools decode).
   */
  static String encode(String value, boolean url) {
    return url ? PercentEncoding.encode(value, "-_./*", true) : value;
  }
}
