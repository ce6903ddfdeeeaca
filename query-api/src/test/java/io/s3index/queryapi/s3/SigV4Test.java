package io.s3index.queryapi.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Signature Version 4 against the worked examples of the S3 documentation ("Signature calculations"). */
class SigV4Test {

  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

  @Test
  void headerAuthenticationOfAGetObjectWithRange() {
    String canonical = SigV4.canonicalRequest("GET", "/test.txt", List.of(), List.of(
        Map.entry("host", List.of("examplebucket.s3.amazonaws.com")),
        Map.entry("range", List.of("bytes=0-9")),
        Map.entry("x-amz-content-sha256", List.of(SigV4.EMPTY_SHA256)),
        Map.entry("x-amz-date", List.of("20130524T000000Z"))), SigV4.EMPTY_SHA256);
    String toSign = SigV4.stringToSign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical);
    assertThat(SigV4.signature(SECRET, "20130524", "us-east-1", "s3", toSign))
        .isEqualTo("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  }

  @Test
  void presignedUrlOfAGetObject() {
    String canonical = SigV4.canonicalRequest("GET", "/test.txt", List.of(
        Map.entry("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        Map.entry("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"),
        Map.entry("X-Amz-Date", "20130524T000000Z"),
        Map.entry("X-Amz-Expires", "86400"),
        Map.entry("X-Amz-SignedHeaders", "host")),
        List.of(Map.entry("host", List.of("examplebucket.s3.amazonaws.com"))), SigV4.UNSIGNED_PAYLOAD);
    String toSign = SigV4.stringToSign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical);
    assertThat(SigV4.signature(SECRET, "20130524", "us-east-1", "s3", toSign))
        .isEqualTo("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  }

  @Test
  void uriEncodingKeepsOnlyUnreservedCharactersAndSlashesInPaths() {
    assertThat(SigV4.uriEncode("/a b/c+d/é~_.-*", false)).isEqualTo("/a%20b/c%2Bd/%C3%A9~_.-%2A");
    assertThat(SigV4.uriEncode("a/b=c", true)).isEqualTo("a%2Fb%3Dc");
  }

  @Test
  void listingUrlEncodingIsFormEncodingAsS3Sends() {
    assertThat(S3Listings.encode("a b+c/d%é*", true)).isEqualTo("a+b%2Bc/d%25%C3%A9*");
    assertThat(S3Listings.encode("a b", false)).isEqualTo("a b");
  }
}
