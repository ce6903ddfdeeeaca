package io.s3index.queryapi.access;

import java.util.List;

/**
 * An authenticated caller: an opaque id (a digest prefix of its token, safe to log and to key
 * rate limits by) and its grants.
 */
public record Principal(String id, List<Grant> grants) {

  static final Principal OPEN = new Principal("open", List.of(Grant.ADMIN));

  public Principal {
    grants = List.copyOf(grants);
  }

  /** True if every key under {@code prefix} in {@code bucket} may be read. */
  public boolean mayRead(String bucket, String prefix) {
    return grants.stream().anyMatch(g -> g.covers(bucket, prefix));
  }

  /** True if the caller may read at least something in {@code bucket}. */
  public boolean maySee(String bucket) {
    return grants.stream().anyMatch(g -> g.isAdmin() || g.bucket().equals(bucket));
  }

  public boolean isAdmin() {
    return grants.stream().anyMatch(Grant::isAdmin);
  }

  /** The scopes this caller holds, for error messages. */
  public String describe() {
    return String.join(", ", grants.stream().map(Grant::toString).toList());
  }
}
