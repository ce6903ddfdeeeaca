package io.s3index.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * A plain keep-alive HTTP/1.1 GET (HttpURLConnection reuses connections per thread), failing
 * loudly on anything but 200. Lighter per request than java.net.http.HttpClient, so that the
 * figures measure the server rather than the client.
 */
final class Http {

  byte[] get(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
      c.setUseCaches(false);
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      byte[] body = in == null ? new byte[0] : in.readAllBytes();
      if (in != null) {
        in.close();
      }
      if (status != 200) {
        throw new IllegalStateException("GET " + url + " answered " + status + ": "
            + new String(body, StandardCharsets.UTF_8));
      }
      return body;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
