package io.s3index.queryapi.s3;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own error answers on the S3 port (a URI or header too long, a request it cannot parse)
 * as S3 error documents, never an HTML page.
 */
final class S3ErrorHandler extends ErrorHandler {

  @Override
  protected void generateResponse(Request request, Response response, int code, String message,
      Throwable cause, Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
    response.write(true, ByteBuffer.wrap(body(code)), callback);
  }

  // Jetty 12 still calls this for requests it cannot parse (414, 431); deprecated for removal,
  // and until it is gone the only place to give those answers an S3 body.
  @SuppressWarnings("removal")
  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/xml"));
    return ByteBuffer.wrap(body(status));
  }

  /** A fixed document per status: Jetty's reason may echo request bytes. */
  static byte[] body(int status) {
    String code = switch (status) {
      case 400 -> "BadRequest";
      case 404 -> "NoSuchKey";
      case 405 -> "MethodNotAllowed";
      case 414 -> "KeyTooLongError";
      case 431 -> "RequestHeaderSectionTooLarge";
      case 503 -> "SlowDown";
      default -> status >= 500 ? "InternalError" : "InvalidRequest";
    };
    return new S3Xml(200).root("Error", false)
        .element("Code", code)
        .element("Message", HttpStatus.getMessage(status) + ".")
        .close("Error")
        .bytes();
  }
}
