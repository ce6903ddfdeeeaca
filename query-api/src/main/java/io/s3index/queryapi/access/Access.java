package io.s3index.queryapi.access;

import io.javalin.http.Context;
import io.s3index.queryapi.problem.ApiProblem;

/**
 * Authentication, authorization and rate limiting of {@code /v1} requests. The principal found
 * for a request is kept on its context for the route handlers' scope checks.
 */
public final class Access {

  private static final String PRINCIPAL = "s3index.principal";

  private final AccessPolicy policy;
  private final RateLimiter limiter;

  public Access(AccessPolicy policy, RateLimiter limiter) {
    this.policy = policy;
    this.limiter = limiter;
  }

  /** Before-handler: 401 without a valid token, 429 over the caller's rate. */
  public void authenticate(Context ctx) {
    Principal principal;
    String limitKey;
    if (policy.isOpen()) {
      principal = Principal.OPEN;
      limitKey = "ip:" + ctx.ip();
    } else {
      String header = ctx.header("Authorization");
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        ctx.header("WWW-Authenticate", "Bearer");
        throw ApiProblem.unauthorized("Send 'Authorization: Bearer <token>'.");
      }
      principal = policy.authenticate(header.substring(7).strip());
      if (principal == null) {
        ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        throw ApiProblem.unauthorized("The bearer token is not valid.");
      }
      limitKey = "token:" + principal.id();
    }
    long wait = limiter.acquire(limitKey);
    if (wait > 0) {
      ctx.header("Retry-After", Long.toString(wait));
      throw ApiProblem.rateLimited(wait);
    }
    ctx.attribute(PRINCIPAL, principal);
  }

  /** The principal of a request that passed {@link #authenticate}. */
  public static Principal principal(Context ctx) {
    Principal principal = ctx.attribute(PRINCIPAL);
    if (principal == null) {
      throw new IllegalStateException("no principal: the access before-handler did not run");
    }
    return principal;
  }

  /** 403 unless the caller may read something in {@code bucket}. */
  public static void requireBucket(Context ctx, String bucket) {
    Principal principal = principal(ctx);
    if (!principal.maySee(bucket)) {
      throw ApiProblem.forbidden("This token may not read bucket '" + bucket + "'.");
    }
  }

  /** 403 unless the caller may read every key under {@code prefix} in {@code bucket}. */
  public static void requireRead(Context ctx, String bucket, String prefix) {
    Principal principal = principal(ctx);
    if (!principal.mayRead(bucket, prefix == null ? "" : prefix)) {
      throw ApiProblem.forbidden(principal.maySee(bucket)
          ? "This token may read only: " + principal.describe() + "; narrow the prefix."
          : "This token may not read bucket '" + bucket + "'.");
    }
  }
}
