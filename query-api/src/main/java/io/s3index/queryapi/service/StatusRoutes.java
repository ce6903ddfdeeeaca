package io.s3index.queryapi.service;

import io.s3index.queryapi.QueryString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.concurrent.atomic.AtomicReference;
import io.s3index.queryapi.reads.Reads;

/**
 * Index freshness: {@code GET /v1/status} (per-partition progress of the indexer) and the {@code
 * X-Index-Last-Event-Time} header on every {@code /v1} answer (the newest event time applied,
 * read at most once a second).
 */
public final class StatusRoutes {

  public static final String FRESHNESS_HEADER = "X-Index-Last-Event-Time";
  private static final Duration CACHE = Duration.ofSeconds(1);

  private final Reads reads;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final AtomicReference<Cached> newest = new AtomicReference<>(new Cached(null, Instant.MIN));

  private record Cached(Instant lastEventTime, Instant readAt) {}

  public StatusRoutes(Reads reads, ObjectMapper mapper, Clock clock) {
    this.reads = reads;
    this.mapper = mapper;
    this.clock = clock;
  }

  public void install(JavalinConfig config) {
    config.routes.get("/v1/status", this::status);
  }

  /** Before-handler for /v1: adds the freshness header when it is known. */
  public void addFreshnessHeader(Context ctx) {
    Instant now = clock.instant();
    Cached cached = newest.get();
    if (Duration.between(cached.readAt(), now).compareTo(CACHE) > 0) {
      try {
        OffsetDateTime time = reads.any(h -> h.createQuery(
            "SELECT max(last_event_time) FROM indexer_progress").mapTo(OffsetDateTime.class).one());
        cached = new Cached(time == null ? null : time.toInstant(), now);
        newest.set(cached);
      } catch (RuntimeException e) {
        // Freshness is advisory: a failed read must not fail the answer it decorates.
        return;
      }
    }
    if (cached.lastEventTime() != null) {
      ctx.header(FRESHNESS_HEADER, cached.lastEventTime().toString());
    }
  }

  private void status(Context ctx) throws Exception {
    QueryString.requireNone(ctx.queryString());
    ObjectNode body = mapper.createObjectNode();
    ArrayNode partitions = body.putArray("partitions");
    Instant[] newestSeen = {null};
    reads.any(h -> h.createQuery("""
            SELECT consumer_group, topic, partition, next_offset, last_event_time, updated_at
            FROM indexer_progress ORDER BY consumer_group, topic, partition""")
        .map((rs, c) -> {
          ObjectNode p = partitions.addObject();
          p.put("consumer_group", rs.getString("consumer_group"));
          p.put("topic", rs.getString("topic"));
          p.put("partition", rs.getInt("partition"));
          p.put("next_offset", rs.getLong("next_offset"));
          OffsetDateTime last = rs.getObject("last_event_time", OffsetDateTime.class);
          p.put("last_event_time", last == null ? null : last.toInstant().toString());
          p.put("updated_at", rs.getObject("updated_at", OffsetDateTime.class).toInstant().toString());
          if (last != null && (newestSeen[0] == null || last.toInstant().isAfter(newestSeen[0]))) {
            newestSeen[0] = last.toInstant();
          }
          return p;
        }).list());
    body.put("last_event_time", newestSeen[0] == null ? null : newestSeen[0].toString());
    body.put("seconds_since_last_event", newestSeen[0] == null ? null
        : Math.max(0, Duration.between(newestSeen[0], clock.instant()).toMillis() / 1000.0));
    ctx.contentType("application/json").result(mapper.writeValueAsBytes(body));
  }
}
