package io.s3index.queryapi.s3;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The decoded query parameters of an S3 request. */
final class S3Query {

  /**
   * Parameters of the operations served here (and the signature's); any other names a
   * subresource (?acl, ?tagging, ?versions, ?uploads ...) of an operation not served.
   */
  private static final Set<String> OPERATION_PARAMETERS = Set.of("list-type", "prefix", "delimiter",
      "start-after", "continuation-token", "max-keys", "encoding-type", "fetch-owner", "marker",
      "versionId", "x-id", "response-content-type", "response-content-language", "response-expires",
      "response-cache-control", "response-content-disposition", "response-content-encoding",
      "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
      "X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "X-Amz-User-Agent",
      // Signature Version 2's query authentication, refused by S3Auth with S3's own words.
      "AWSAccessKeyId", "Signature", "Expires");

  private final List<Map.Entry<String, String>> params;

  S3Query(List<Map.Entry<String, String>> params) {
    this.params = params;
  }

  /** The parameters in order, repeats kept. */
  List<Map.Entry<String, String>> entries() {
    return params;
  }

  /** The first value of a parameter, or null. */
  String get(String name) {
    for (Map.Entry<String, String> e : params) {
      if (e.getKey().equals(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  boolean has(String name) {
    return get(name) != null;
  }

  /** True when nothing but the signature's parameters is given. */
  boolean isEmpty() {
    return params.stream().allMatch(e -> e.getKey().startsWith("X-Amz-") || e.getKey().equals("x-id")
        || e.getKey().equals("AWSAccessKeyId") || e.getKey().equals("Signature") || e.getKey().equals("Expires"));
  }

  boolean hasSubresource() {
    return params.stream().anyMatch(e -> !OPERATION_PARAMETERS.contains(e.getKey()));
  }

  /** The parameters to pass on to an origin: the operation's, not the signature's. */
  List<Map.Entry<String, String>> forOrigin() {
    return params.stream().filter(e -> e.getKey().equals("versionId") || e.getKey().startsWith("response-"))
        .toList();
  }
}
