package io.s3index.queryapi.problem;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;
import java.util.TreeMap;
import io.s3index.shared.failure.Failures;
import org.jdbi.v3.core.ConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns failures into HTTP answers: {@code application/problem+json} (RFC
 * 9457) with the stable {@code error} code. 4xx are logged at debug; 5xx at error with the stack,
 * while the client gets a generic message.
 */
public final class Problems {

  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  public static final String CONTENT_TYPE = "application/problem+json";
  /** Marks a response that already holds a problem document, so status handlers leave it be. */
  private static final String WRITTEN = "s3index.problem";

  private final ObjectMapper mapper;
  /** Set when the server stops: a long wait that fails then has no request left to answer. */
  private volatile boolean stopping;

  public Problems(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** Registers the handlers on an app being configured. */
  public void install(JavalinConfig config) {
    config.routes.exception(ApiProblem.class, (e, ctx) -> {
      log.debug("{} {} -> {} {}", ctx.method(), ctx.path(), e.status(), e.detail());
      write(ctx, e);
    });
    config.routes.exception(HttpResponseException.class, (e, ctx) -> {
      log.debug("{} {} -> {}", ctx.method(), ctx.path(), e.getStatus());
      if (e.getStatus() == 405) {
        ctx.header("Allow", ALLOW);
        write(ctx, ApiProblem.methodNotAllowed(ctx.method().name(), ALLOW));
        return;
      }
      write(ctx, fromStatus(e.getStatus(), e.getMessage()));
    });
    config.events.serverStopping(() -> stopping = true);
    config.routes.exception(Exception.class, (e, ctx) -> {
      if (stopping) {
        log.debug("failure while stopping, not answered: {}", e.toString());
        return;
      }
      if (Failures.isStatementTimeout(e)) {
        log.warn("{} {} -> 503: statement timeout", ctx.method(), ctx.path());
        write(ctx, ApiProblem.timedOut());
        ctx.header("Retry-After", "1");
        return;
      }
      if (isDatabaseUnavailable(e)) {
        log.warn("{} {} -> 503: database unavailable ({})", ctx.method(), ctx.path(), e.toString());
        write(ctx, ApiProblem.unavailable());
        ctx.header("Retry-After", "1");
        return;
      }
      log.error("{} {} -> 500", ctx.method(), ctx.path(), e);
      writeInternal(ctx);
    });
    config.routes.error(404, ctx -> {
      if (ctx.attribute(WRITTEN) == null) {
        write(ctx, ApiProblem.notFound("No such endpoint: " + ctx.method() + " " + ctx.path()));
      }
    });
    config.routes.error(405, ctx -> {
      if (ctx.attribute(WRITTEN) == null) {
        // Every route of this API answers GET only.
        ctx.header("Allow", ALLOW);
        write(ctx, ApiProblem.methodNotAllowed(ctx.method().name(), ALLOW));
      }
    });
  }

  /** The methods every path of this API answers. */
  public static final String ALLOW = "GET";

  /** An HTTP error status raised by Javalin, as a problem with the same status. */
  private static ApiProblem fromStatus(int status, String message) {
    if (status == 404) {
      return ApiProblem.notFound("No such endpoint");
    }
    if (status == 400) {
      return ApiProblem.validation(Map.of("request", message == null ? "bad request" : message));
    }
    if (status > 400 && status < 500) {
      String title = org.eclipse.jetty.http.HttpStatus.getMessage(status);
      return ApiProblem.clientError(status, title, title + ".");
    }
    return ApiProblem.unavailable();
  }

  /** A failure to reach the database (connection refused or lost, the server shutting down). */
  public static boolean isDatabaseUnavailable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectionException || t instanceof SQLTransientConnectionException
          || t instanceof java.net.ConnectException) {
        return true;
      }
      if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
          && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
        return true;
      }
    }
    return false;
  }

  public void write(Context ctx, ApiProblem problem) {
    ObjectNode body = mapper.createObjectNode();
    body.put("type", "https://s3index.io/problems/" + problem.error().replace('_', '-'));
    body.put("title", problem.title());
    body.put("status", problem.status());
    body.put("detail", problem.detail());
    body.put("error", problem.error());
    if (problem.errors() != null) {
      ObjectNode errors = body.putObject("errors");
      new TreeMap<>(problem.errors()).forEach(errors::put);
    }
    send(ctx, problem.status(), body);
  }

  private void writeInternal(Context ctx) {
    ObjectNode body = mapper.createObjectNode();
    body.put("type", "about:blank");
    body.put("title", "Internal server error");
    body.put("status", 500);
    body.put("detail", "The server failed to answer; the failure has been logged.");
    body.put("error", "internal_error");
    send(ctx, 500, body);
  }

  private void send(Context ctx, int status, ObjectNode body) {
    ctx.attribute(WRITTEN, Boolean.TRUE);
    try {
      ctx.status(status).contentType(CONTENT_TYPE).result(mapper.writeValueAsBytes(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a problem document", e);
    }
  }
}
