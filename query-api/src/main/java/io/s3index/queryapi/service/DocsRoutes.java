package io.s3index.queryapi.service;

import io.s3index.queryapi.QueryString;
import io.javalin.config.JavalinConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** {@code GET /openapi.json} (the contract) and {@code GET /docs} (the same, for people). */
public final class DocsRoutes {

  private final byte[] openApi = resource("openapi.json");
  private final byte[] page = resource("api.html");

  public void install(JavalinConfig config) {
    config.routes.get("/openapi.json", ctx -> {
      QueryString.requireNone(ctx.queryString());
      ctx.contentType("application/json").result(openApi);
    });
    config.routes.get("/docs", ctx -> {
      QueryString.requireNone(ctx.queryString());
      ctx.contentType("text/html; charset=utf-8").result(page);
    });
  }

  private static byte[] resource(String name) {
    try (InputStream in = DocsRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
