package io.s3index.queryapi.service;

import io.javalin.config.JavalinConfig;
import io.s3index.queryapi.QueryString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.function.IntSupplier;

/**
 * {@code GET /browse}: the bucket browser, one page from this module's own resources, its style
 * and script inlined when it is served (one request draws it; nothing is fetched from elsewhere).
 * The page holds its state in its query string and reads the index through {@code /v1} like any
 * client, with the caller's token. A content security policy allows only that inlined script and
 * style (by their SHA-256 digests) and requests to this origin, so that a value that ever reached
 * the page as markup would still not run.
 */
public final class BrowseRoutes {

  private static final String STYLE_SLOT = "<!--STYLE: browse.css, inlined by the server (one request for the whole page)-->";
  private static final String SCRIPT_SLOT = "<!--SCRIPT: browse.js, inlined by the server-->";

  private final byte[] page;
  private final String policy;
  private final boolean open;
  private final IntSupplier downloadPort;

  /**
   * @param open whether the API runs without tokens ({@code /} then opens the browser)
   * @param downloadPort the port of an open S3 endpoint that streams objects from an origin, or
   *     -1 (then the page offers no download)
   */
  public BrowseRoutes(boolean open, IntSupplier downloadPort) {
    this.open = open;
    this.downloadPort = downloadPort;
    String html = text("browse/index.html");
    String style = text("browse/browse.css");
    String script = text("browse/browse.js");
    if (!html.contains(STYLE_SLOT) || !html.contains(SCRIPT_SLOT) || style.contains("</style")
        || script.contains("</script")) {
      throw new IllegalStateException("browse/index.html, browse.css or browse.js cannot be inlined");
    }
    this.page = html.replace(STYLE_SLOT, "<style>" + style + "</style>")
        .replace(SCRIPT_SLOT, "<script>" + script + "</script>").getBytes(StandardCharsets.UTF_8);
    this.policy = "default-src 'none'; script-src '" + sha256(script) + "'; style-src '" + sha256(style)
        + "'; connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
  }

  public void install(JavalinConfig config) {
    // The page's state (bucket, folder, sort, filters) is its query string: any is accepted here.
    config.routes.get("/browse", ctx -> {
      ctx.header("Content-Security-Policy", policy);
      ctx.header("X-Content-Type-Options", "nosniff");
      ctx.header("Referrer-Policy", "no-referrer");
      ctx.header("Cache-Control", "no-cache");
      ctx.contentType("text/html; charset=utf-8").result(page);
    });
    config.routes.get("/browse/config.json", ctx -> {
      QueryString.requireNone(ctx.queryString());
      int port = downloadPort.getAsInt();
      ctx.header("Cache-Control", "no-store");
      ctx.contentType("application/json").result("{\"open\":" + open + ",\"download_port\":"
          + (port < 0 ? "null" : Integer.toString(port)) + "}");
    });
    config.routes.get("/", ctx -> ctx.redirect(open ? "/browse" : "/docs"));
  }

  private static String sha256(String text) {
    try {
      return "sha256-" + Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String text(String name) {
    try (InputStream in = BrowseRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
