package io.s3index.queryapi.access;

import java.util.Objects;

/**
 * What a token may read: a whole bucket ({@code prefix} empty), the keys under a prefix of a
 * bucket, or everything ({@code bucket} null: an admin grant).
 */
public record Grant(String bucket, String prefix) {

  public Grant {
    Objects.requireNonNull(prefix, "prefix");
  }

  static final Grant ADMIN = new Grant(null, "");

  boolean isAdmin() {
    return bucket == null;
  }

  /** Parses {@code *}, {@code bucket} or {@code bucket/prefix}. */
  static Grant parse(String scope) {
    if (scope.equals("*")) {
      return ADMIN;
    }
    int slash = scope.indexOf('/');
    String bucket = slash < 0 ? scope : scope.substring(0, slash);
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException("scope '" + scope + "' names no bucket");
    }
    return new Grant(bucket, slash < 0 ? "" : scope.substring(slash + 1));
  }

  /** True if keys starting with {@code requestPrefix} in {@code requestBucket} all fall under this grant. */
  boolean covers(String requestBucket, String requestPrefix) {
    return isAdmin() || (bucket.equals(requestBucket) && requestPrefix.startsWith(prefix));
  }

  @Override
  public String toString() {
    return isAdmin() ? "*" : prefix.isEmpty() ? bucket : bucket + "/" + prefix;
  }
}
