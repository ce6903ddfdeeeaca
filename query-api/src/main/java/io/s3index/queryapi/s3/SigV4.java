package io.s3index.queryapi.s3;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4 as S3 computes it: the canonical request, the string to sign and the
 * signature. Used both to check a request the endpoint received (the canonical request is rebuilt
 * from what arrived: every client encodes the path and query its own way on the wire, but all sign
 * the same canonical form) and to sign the requests it sends to an origin. S3 signs the path as is
 * (no dot-segment removal, no double encoding), unlike the other AWS services.
 *
 * <p>Hand-written: the SDK's signer signs requests the SDK builds, and cannot tell whether a
 * received request carries a given signature.
 */
final class SigV4 {

  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
  static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final HexFormat HEX = HexFormat.of();

  private SigV4() {}

  /**
   * The canonical request.
   *
   * @param path the decoded path (each byte of its UTF-8 encoded here as S3 does; '/' kept)
   * @param query decoded query parameters, in any order (X-Amz-Signature left out by the caller)
   * @param headers the signed headers' lower-case names, sorted, with their values as received
   */
  static String canonicalRequest(String method, String path, List<Map.Entry<String, String>> query,
      List<Map.Entry<String, List<String>>> headers, String payloadHash) {
    StringBuilder b = new StringBuilder(256);
    b.append(method).append('\n');
    b.append(path.isEmpty() ? "/" : uriEncode(path, false)).append('\n');
    List<String[]> params = new ArrayList<>(query.size());
    for (Map.Entry<String, String> e : query) {
      params.add(new String[] {uriEncode(e.getKey(), true), uriEncode(e.getValue(), true)});
    }
    params.sort((x, y) -> {
      int c = x[0].compareTo(y[0]);
      return c != 0 ? c : x[1].compareTo(y[1]);
    });
    for (int i = 0; i < params.size(); i++) {
      b.append(i == 0 ? "" : "&").append(params.get(i)[0]).append('=').append(params.get(i)[1]);
    }
    b.append('\n');
    StringBuilder names = new StringBuilder();
    for (Map.Entry<String, List<String>> h : headers) {
      b.append(h.getKey()).append(':');
      List<String> values = h.getValue();
      for (int i = 0; i < values.size(); i++) {
        b.append(i == 0 ? "" : ",").append(trimAll(values.get(i)));
      }
      b.append('\n');
      names.append(names.length() == 0 ? "" : ";").append(h.getKey());
    }
    b.append('\n').append(names).append('\n').append(payloadHash);
    return b.toString();
  }

  /** The string to sign for a canonical request at {@code amzDate} (yyyyMMdd'T'HHmmss'Z') in scope. */
  static String stringToSign(String amzDate, String scope, String canonicalRequest) {
    return ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonicalRequest);
  }

  /** The hex signature of a string to sign, for a secret and scope (date/region/service/aws4_request). */
  static String signature(String secret, String date, String region, String service, String stringToSign) {
    byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
    key = hmac(key, region);
    key = hmac(key, service);
    key = hmac(key, "aws4_request");
    return HEX.formatHex(hmac(key, stringToSign));
  }

  /** Compares two signatures in time independent of where they differ. */
  static boolean same(String expected, String given) {
    return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
        given.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * AWS's URI encoding: every byte of the UTF-8 form except the unreserved characters
   * (A-Z a-z 0-9 - . _ ~) as %XX with upper-case hex; '/' kept unless {@code encodeSlash}.
   */
  static String uriEncode(String value, boolean encodeSlash) {
    return PercentEncoding.encode(value, encodeSlash ? "-._~" : "-._~/", false);
  }

  static String sha256Hex(String text) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /** A header value trimmed, with each run of spaces inside it made one space. */
  private static String trimAll(String value) {
    return value.strip().replaceAll(" +", " ");
  }
}
