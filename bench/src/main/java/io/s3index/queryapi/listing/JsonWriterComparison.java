package io.s3index.queryapi.listing;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * The API's hand-written JSON writer ({@link JsonOut}, with {@code IsoInstant} and {@code Digits})
 * against Jackson's streaming {@link JsonGenerator} ({@code writeUTF8String} over the driver's
 * bytes, {@code writeRawValue} for the stored metadata), writing the same page document from the
 * same rows. It lives in the bench module, in the listing's package (the rows are package-private
 * there), so that the API ships no benchmark hooks.
 */
public final class JsonWriterComparison {

  private static final JsonFactory JACKSON = new JsonFactory();
  private static final String PAGE = """
      SELECT key, size, etag, content_type, last_modified, storage_class, version_id,
             metadata::text AS metadata
      FROM objects WHERE bucket = :bucket AND NOT deleted ORDER BY key LIMIT :n""";

  /** The columns as the driver's bytes, for the Jackson side (ObjectRow's are private). */
  private record RawRow(byte[] key, long size, byte[] etag, byte[] contentType, Instant lastModified,
      byte[] storageClass, byte[] versionId, byte[] metadata) {}

  private final List<ObjectRow> rows;
  private final List<RawRow> raw;

  /** Reads {@code pageSize} rows of {@code bucket} from its start, as the listing reads them. */
  public JsonWriterComparison(Jdbi jdbi, String bucket, int pageSize) {
    this.rows = jdbi.withHandle(h -> h.createQuery(PAGE).bind("bucket", bucket).bind("n", pageSize)
        .map((rs, ctx) -> ObjectRow.from(rs)).list());
    this.raw = jdbi.withHandle(h -> h.createQuery(PAGE).bind("bucket", bucket).bind("n", pageSize)
        .map((rs, ctx) -> new RawRow(rs.getBytes(1), rs.getLong(2), rs.getBytes(3), rs.getBytes(4),
            rs.getObject(5, OffsetDateTime.class).toInstant(), rs.getBytes(6), rs.getBytes(7), rs.getBytes(8)))
        .list());
  }

  /** The page document by the hand-written writer, as ListingRoutes writes it. */
  public byte[] handWritten(String nextCursor) {
    JsonOut json = new JsonOut(512 + rows.size() * 320);
    json.beginObject().name("data").beginArray();
    for (ObjectRow row : rows) {
      row.write(json);
    }
    json.endArray();
    json.name("pagination").beginObject()
        .name("page_size").number(rows.size())
        .name("has_next").bool(true)
        .name("has_previous").bool(false)
        .name("next_cursor").string(nextCursor)
        .name("previous_cursor").string((String) null)
        .name("sort_by").string("key")
        .name("sort_order").string("asc");
    json.endObject().endObject();
    return json.toByteArray();
  }

  /** The same document by Jackson's streaming generator. */
  public byte[] jackson(String nextCursor) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512 + rows.size() * 320);
    try (JsonGenerator g = JACKSON.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeArrayFieldStart("data");
      for (RawRow row : raw) {
        write(g, row);
      }
      g.writeEndArray();
      g.writeObjectFieldStart("pagination");
      g.writeNumberField("page_size", rows.size());
      g.writeBooleanField("has_next", true);
      g.writeBooleanField("has_previous", false);
      g.writeStringField("next_cursor", nextCursor);
      g.writeNullField("previous_cursor");
      g.writeStringField("sort_by", "key");
      g.writeStringField("sort_order", "asc");
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The object as ObjectRow writes it, with the generator; the timestamp by Instant's own format. */
  private static void write(JsonGenerator g, RawRow row) throws IOException {
    g.writeStartObject();
    utf8Field(g, "key", row.key());
    g.writeNumberField("size", row.size());
    utf8Field(g, "etag", row.etag());
    utf8Field(g, "content_type", row.contentType());
    g.writeStringField("last_modified", row.lastModified().toString());
    utf8Field(g, "storage_class", row.storageClass());
    utf8Field(g, "version_id", row.versionId());
    g.writeFieldName("metadata");
    if (row.metadata() == null) {
      g.writeNull();
    } else {
      g.writeRawValue(new String(row.metadata(), StandardCharsets.UTF_8));
    }
    g.writeEndObject();
  }

  private static void utf8Field(JsonGenerator g, String name, byte[] utf8) throws IOException {
    g.writeFieldName(name);
    if (utf8 == null) {
      g.writeNull();
    } else {
      g.writeUTF8String(utf8, 0, utf8.length);
    }
  }
}
