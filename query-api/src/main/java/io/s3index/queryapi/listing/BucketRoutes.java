package io.s3index.queryapi.listing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.s3index.queryapi.QueryString;
import io.s3index.queryapi.access.Access;
import io.s3index.queryapi.access.Principal;
import java.util.List;
import io.s3index.queryapi.reads.Reads;

/** {@code GET /v1/buckets}: the buckets holding live objects that the caller may see. */
public final class BucketRoutes {

  /**
   * Distinct buckets by skipping through the (bucket, key) index, one probe per bucket, instead
   * of scanning every row.
   */
  private static final String BUCKETS = """
      WITH RECURSIVE b(bucket) AS (
        (SELECT bucket FROM objects WHERE NOT deleted ORDER BY bucket LIMIT 1)
        UNION ALL
        SELECT (SELECT o.bucket FROM objects o WHERE NOT o.deleted AND o.bucket > b.bucket
                ORDER BY o.bucket LIMIT 1)
        FROM b WHERE b.bucket IS NOT NULL)
      SELECT bucket FROM b WHERE bucket IS NOT NULL""";

  private final Reads reads;
  private final ObjectMapper mapper;

  public BucketRoutes(Reads reads, ObjectMapper mapper) {
    this.reads = reads;
    this.mapper = mapper;
  }

  public void install(JavalinConfig config) {
    config.routes.get("/v1/buckets", this::list);
  }

  private void list(Context ctx) throws Exception {
    QueryString.requireNone(ctx.queryString());
    Principal principal = Access.principal(ctx);
    List<String> buckets = reads.any(h -> h.createQuery(BUCKETS).mapTo(String.class).list());
    ObjectNode body = mapper.createObjectNode();
    ArrayNode data = body.putArray("data");
    for (String bucket : buckets) {
      if (principal.maySee(bucket)) {
        data.addObject().put("name", bucket);
      }
    }
    ctx.contentType("application/json").result(mapper.writeValueAsBytes(body));
  }
}
