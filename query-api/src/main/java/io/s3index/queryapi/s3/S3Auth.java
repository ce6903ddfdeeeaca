package io.s3index.queryapi.s3;

import io.s3index.queryapi.access.AccessKeys;
import io.s3index.queryapi.access.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Who sent a request to the S3 endpoint: checks its AWS Signature Version 4, in the {@code
 * Authorization} header or in a presigned query string, and answers with S3's errors
 * ({@code InvalidAccessKeyId}, {@code SignatureDoesNotMatch}, {@code RequestTimeTooSkewed} beyond
 * 15 minutes, {@code AccessDenied} for an anonymous or expired request). In the open mode every
 * request reads everything, signed or not.
 */
final class S3Auth {

  /** S3's allowed difference between the request's time and the server's. */
  static final Duration MAX_SKEW = Duration.ofMinutes(15);
  /** The longest a presigned URL may live: 7 days, as S3. */
  private static final long MAX_EXPIRES_SECONDS = 604_800;
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  /** What a request carries, as received. */
  record Signed(String method, String decodedPath, S3Query query, Function<String, List<String>> headers) {

    String header(String name) {
      List<String> values = headers.apply(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    String param(String name) {
      return query.get(name);
    }
  }

  /** The authenticated caller and the id its rate limit is counted under. */
  record Caller(Principal principal, String id) {}

  private final S3ApiConfig config;
  private final Clock clock;

  S3Auth(S3ApiConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  /** @throws S3Error if the request is not signed by a configured key (outside the open mode) */
  Caller authenticate(Signed r, String remoteAddress) {
    if (config.open()) {
      return new Caller(AccessKeys.openPrincipal(), "ip:" + remoteAddress);
    }
    String authorization = r.header("Authorization");
    boolean presigned = r.param("X-Amz-Signature") != null || r.param("X-Amz-Algorithm") != null;
    if (authorization != null && presigned) {
      throw S3Error.invalidArgument("Only one auth mechanism allowed; only the X-Amz-Algorithm query "
          + "parameter or the Authorization header should be specified");
    }
    if (authorization == null && !presigned && r.param("AWSAccessKeyId") != null) {
      // Signature Version 2 (aws-cli v1 presigns with it unless told s3.signature_version = s3v4).
      throw new S3Error(400, "InvalidRequest",
          "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
    }
    if (authorization == null && !presigned) {
      throw S3Error.accessDenied("Access Denied");
    }
    return presigned ? presigned(r) : header(r, authorization);
  }

  private Caller header(Signed r, String authorization) {
    if (!authorization.startsWith(SigV4.ALGORITHM + " ")) {
      throw new S3Error(400, "InvalidRequest",
          "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
    }
    String credential = null;
    String signedHeaders = null;
    String signature = null;
    for (String part : authorization.substring(SigV4.ALGORITHM.length() + 1).split(",")) {
      String p = part.strip();
      int eq = p.indexOf('=');
      if (eq < 0) {
        throw malformed("'" + p + "' is not a name=value pair");
      }
      String value = p.substring(eq + 1);
      switch (p.substring(0, eq)) {
        case "Credential" -> credential = value;
        case "SignedHeaders" -> signedHeaders = value;
        case "Signature" -> signature = value;
        default -> throw malformed("unexpected " + p.substring(0, eq));
      }
    }
    if (credential == null || signedHeaders == null || signature == null) {
      throw malformed("it needs Credential, SignedHeaders and Signature");
    }
    String amzDate = r.header("x-amz-date");
    if (amzDate == null) {
      String date = r.header("Date");
      if (date == null) {
        throw S3Error.accessDenied("AWS authentication requires a valid Date or x-amz-date header");
      }
      try {
        amzDate = AMZ_DATE.format(ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME)
            .withZoneSameInstant(ZoneOffset.UTC));
      } catch (DateTimeParseException e) {
        throw S3Error.accessDenied("AWS authentication requires a valid Date or x-amz-date header");
      }
    }
    Instant time = time(amzDate);
    Instant now = clock.instant();
    if (Duration.between(time, now).abs().compareTo(MAX_SKEW) > 0) {
      throw new S3Error(403, "RequestTimeTooSkewed",
          "The difference between the request time and the current time is too large.");
    }
    String payload = r.header("x-amz-content-sha256");
    return verify(r, credential, amzDate, signedHeaders, signature,
        payload == null ? SigV4.EMPTY_SHA256 : payload, r.query().entries());
  }

  private Caller presigned(Signed r) {
    if (!SigV4.ALGORITHM.equals(r.param("X-Amz-Algorithm"))) {
      throw new S3Error(400, "AuthorizationQueryParametersError",
          "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    }
    String credential = r.param("X-Amz-Credential");
    String amzDate = r.param("X-Amz-Date");
    String expires = r.param("X-Amz-Expires");
    String signedHeaders = r.param("X-Amz-SignedHeaders");
    String signature = r.param("X-Amz-Signature");
    if (credential == null || amzDate == null || expires == null || signedHeaders == null || signature == null) {
      throw new S3Error(400, "AuthorizationQueryParametersError",
          "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
              + "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
    }
    if (!expires.matches("[0-9]{1,7}") || Long.parseLong(expires) > MAX_EXPIRES_SECONDS) {
      throw new S3Error(400, "AuthorizationQueryParametersError",
          "X-Amz-Expires must be a number of seconds from 0 to 604800");
    }
    Instant time = time(amzDate);
    Instant now = clock.instant();
    if (time.isAfter(now.plus(MAX_SKEW))) {
      throw S3Error.accessDenied("Request is not valid yet");
    }
    if (now.isAfter(time.plusSeconds(Long.parseLong(expires)))) {
      throw S3Error.accessDenied("Request has expired");
    }
    List<Map.Entry<String, String>> query = r.query().entries().stream()
        .filter(e -> !e.getKey().equals("X-Amz-Signature")).toList();
    String payload = r.param("X-Amz-Content-Sha256");
    return verify(r, credential, amzDate, signedHeaders, signature,
        payload == null ? SigV4.UNSIGNED_PAYLOAD : payload, query);
  }

  private Caller verify(Signed r, String credential, String amzDate, String signedHeaders,
      String signature, String payloadHash, List<Map.Entry<String, String>> query) {
    String[] scope = credential.split("/", -1);
    if (scope.length != 5 || !scope[4].equals("aws4_request") || scope[0].isEmpty()) {
      throw malformed("the Credential is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    }
    if (!scope[3].equals("s3")) {
      throw malformed("the Credential names service '" + scope[3] + "'; expecting 's3'");
    }
    if (!amzDate.startsWith(scope[1])) {
      throw malformed("the Credential's date " + scope[1] + " is not the request's date " + amzDate.substring(0, 8));
    }
    AccessKeys.Key key = config.keys().find(scope[0]);
    if (key == null) {
      throw new S3Error(403, "InvalidAccessKeyId",
          "The AWS Access Key Id you provided does not exist in our records.");
    }
    List<Map.Entry<String, List<String>>> headers = new ArrayList<>();
    boolean host = false;
    for (String name : signedHeaders.split(";")) {
      if (name.isEmpty() || !name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
        throw malformed("SignedHeaders must be lower-case names separated by ';'");
      }
      host |= name.equals("host");
      List<String> values = r.headers().apply(name);
      headers.add(Map.entry(name, values == null ? List.of() : values));
    }
    if (!host) {
      throw S3Error.accessDenied("The host header must be signed");
    }
    Collections.sort(headers, Map.Entry.comparingByKey());
    String canonical = SigV4.canonicalRequest(r.method(), r.decodedPath(), query, headers, payloadHash);
    String toSign = SigV4.stringToSign(amzDate, String.join("/", scope[1], scope[2], scope[3], scope[4]), canonical);
    String expected = SigV4.signature(key.secret(), scope[1], scope[2], scope[3], toSign);
    if (!SigV4.same(expected, signature)) {
      throw new S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
          + "match the signature you provided. Check your key and signing method.");
    }
    return new Caller(key.principal(), key.principal().id());
  }

  private static Instant time(String amzDate) {
    try {
      return LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw S3Error.accessDenied("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    }
  }

  private static S3Error malformed(String message) {
    return new S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; " + message);
  }
}
