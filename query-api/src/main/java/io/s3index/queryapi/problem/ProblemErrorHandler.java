package io.s3index.queryapi.problem;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error answers (a URI or header too long, a request line it cannot parse) as
 * problem documents too, so that a client never sees an HTML error page from this API.
 */
public final class ProblemErrorHandler extends ErrorHandler {

  @Override
  protected void generateResponse(Request request, Response response, int code, String message,
      Throwable cause, Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE);
    response.write(true, ByteBuffer.wrap(body(code)), callback);
  }

  // Jetty 12 still calls this for requests it cannot parse (414, 431); it is deprecated for
  // removal, and until it is gone it is the only place to give those answers a problem body.
  @SuppressWarnings("removal")
  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(new HttpField(HttpHeader.CONTENT_TYPE, Problems.CONTENT_TYPE));
    return ByteBuffer.wrap(body(status));
  }

  /** A fixed, safe text per status: Jetty's reason may echo request bytes. */
  static byte[] body(int status) {
    String error;
    if (status == 404) {
      error = "not_found";
    } else if (status == 503) {
      error = "unavailable";
    } else if (status >= 400 && status < 500) {
      error = "validation_error";
    } else {
      error = "internal_error";
    }
    String title = HttpStatus.getMessage(status);
    String detail = switch (status) {
      case 414 -> "The request URI is too long.";
      case 431 -> "The request headers are too large.";
      case 400 -> "The request cannot be parsed.";
      default -> title + ".";
    };
    String json = "{\"type\":\"https://s3index.io/problems/" + error.replace('_', '-') + "\","
        + "\"title\":\"" + title + "\",\"status\":" + status + ",\"detail\":\"" + detail + "\","
        + "\"error\":\"" + error + "\"}";
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
