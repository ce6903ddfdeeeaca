package io.s3index.queryapi;

import io.s3index.queryapi.access.AccessPolicy;
import io.s3index.queryapi.s3.S3ApiConfig;
import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import io.s3index.shared.db.DatabaseConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the query API needs, read once at start.
 *
 * @param host interface to listen on ({@code S3INDEX_API_HOST}, default {@code 0.0.0.0})
 * @param port port ({@code S3INDEX_API_PORT}, default 7070; 0 picks a free one)
 * @param cursorSecret HMAC key for cursors ({@code S3INDEX_CURSOR_SECRET}, at least 16 bytes;
 *     every API instance must share it; when unset a random one is made and cursors do not
 *     survive a restart)
 * @param cursorTtl cursor lifetime ({@code S3INDEX_CURSOR_TTL}, default 24h, 0 = never expires)
 * @param access bearer tokens and their scopes ({@code S3INDEX_API_TOKENS} inline or {@code
 *     S3INDEX_API_TOKENS_FILE}); open only with {@code S3INDEX_API_OPEN=true}
 * @param rateLimit requests per second per token ({@code S3INDEX_API_RATE_LIMIT}, default 50; 0
 *     = unlimited)
 * @param rateBurst burst size per token ({@code S3INDEX_API_RATE_BURST}, default 100)
 * @param statementTimeout longest any API query may run before it is cancelled and answered 503
 *     ({@code S3INDEX_API_STATEMENT_TIMEOUT}, default 5s, whole seconds)
 * @param countTimeout longest an exact {@code include_total} count may run before the planner's
 *     estimate is answered instead ({@code S3INDEX_API_COUNT_TIMEOUT}, default 1s)
 * @param s3Api the S3-compatible endpoint ({@code S3INDEX_S3API_*}, see {@link S3ApiConfig})
 * @param readReplicas streaming replicas of {@code database} that serve reads ({@code
 *     S3INDEX_DB_READ_URLS}; none by default), see {@link io.s3index.queryapi.reads.Reads}
 * @param readMaxLag how long a replica may stay behind the primary before it leaves the rotation
 *     ({@code S3INDEX_DB_READ_MAX_LAG}, default 30s)
 */
public record ApiConfig(String host, int port, byte[] cursorSecret, Duration cursorTtl,
    boolean cursorSecretGenerated, AccessPolicy access, int rateLimit, int rateBurst,
    DatabaseConfig database, Duration statementTimeout, Duration countTimeout, S3ApiConfig s3Api,
    List<DatabaseConfig> readReplicas, Duration readMaxLag) {

  public ApiConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(cursorSecret, "cursorSecret");
    Objects.requireNonNull(cursorTtl, "cursorTtl");
    Objects.requireNonNull(access, "access");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(statementTimeout, "statementTimeout");
    Objects.requireNonNull(countTimeout, "countTimeout");
    Objects.requireNonNull(s3Api, "s3Api");
    readReplicas = List.copyOf(readReplicas);
    Objects.requireNonNull(readMaxLag, "readMaxLag");
    if (statementTimeout.toMillis() < 1000) {
      throw new ConfigException("S3INDEX_API_STATEMENT_TIMEOUT must be at least 1s: " + statementTimeout);
    }
    if (countTimeout.toMillis() < 1) {
      throw new ConfigException("S3INDEX_API_COUNT_TIMEOUT must be at least 1ms: " + countTimeout);
    }
    if (cursorSecret.length < 16) {
      throw new ConfigException("S3INDEX_CURSOR_SECRET must be at least 16 bytes long");
    }
    cursorSecret = cursorSecret.clone();
  }

  public static ApiConfig from(Settings settings) {
    String secret = settings.string("S3INDEX_CURSOR_SECRET", null);
    AccessPolicy access = access(settings);
    DatabaseConfig database = DatabaseConfig.from(settings, 8);
    return new ApiConfig(
        settings.string("S3INDEX_API_HOST", "0.0.0.0"),
        settings.integer("S3INDEX_API_PORT", 7070, 0, 65535),
        secret == null ? randomSecret() : secret.getBytes(StandardCharsets.UTF_8),
        settings.duration("S3INDEX_CURSOR_TTL", Duration.ofHours(24)),
        secret == null,
        access,
        settings.integer("S3INDEX_API_RATE_LIMIT", 50, 0, 1_000_000),
        settings.integer("S3INDEX_API_RATE_BURST", 100, 1, 1_000_000),
        database,
        settings.duration("S3INDEX_API_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT),
        settings.duration("S3INDEX_API_COUNT_TIMEOUT", DEFAULT_COUNT_TIMEOUT),
        S3ApiConfig.from(settings, access.isOpen()), readReplicas(settings, database),
        settings.duration("S3INDEX_DB_READ_MAX_LAG", DEFAULT_READ_MAX_LAG));
  }

  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_COUNT_TIMEOUT = Duration.ofSeconds(1);
  public static final Duration DEFAULT_READ_MAX_LAG = Duration.ofSeconds(30);

  /**
   * {@code S3INDEX_DB_READ_URLS}: streaming replicas of the primary, comma-separated JDBC URLs,
   * reached as the primary is ({@code S3INDEX_DB_USER}, {@code S3INDEX_DB_PASSWORD}, pool size).
   */
  private static List<DatabaseConfig> readReplicas(Settings settings, DatabaseConfig primary) {
    String urls = settings.string("S3INDEX_DB_READ_URLS", "");
    List<DatabaseConfig> replicas = new java.util.ArrayList<>();
    for (String url : urls.split(",")) {
      if (!url.isBlank()) {
        replicas.add(new DatabaseConfig(url.strip(), primary.user(), primary.password(), primary.maxPoolSize()));
      }
    }
    return replicas;
  }

  /** The same settings with streaming replicas to read from. */
  public ApiConfig withReadReplicas(List<DatabaseConfig> replicas, Duration maxLag) {
    return new ApiConfig(host, port, cursorSecret, cursorTtl, cursorSecretGenerated, access, rateLimit,
        rateBurst, database, statementTimeout, countTimeout, s3Api, replicas, maxLag);
  }

  private static AccessPolicy access(Settings settings) {
    String inline = settings.string("S3INDEX_API_TOKENS", null);
    String file = settings.string("S3INDEX_API_TOKENS_FILE", null);
    boolean open = settings.bool("S3INDEX_API_OPEN", false);
    if (inline != null && file != null) {
      throw new ConfigException("set S3INDEX_API_TOKENS or S3INDEX_API_TOKENS_FILE, not both");
    }
    if (file != null) {
      try {
        inline = Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConfigException("S3INDEX_API_TOKENS_FILE cannot be read: " + file);
      }
    }
    if (inline == null) {
      if (!open) {
        throw new ConfigException("no access tokens: set S3INDEX_API_TOKENS or "
            + "S3INDEX_API_TOKENS_FILE, or S3INDEX_API_OPEN=true to serve every bucket to anyone");
      }
      return AccessPolicy.open();
    }
    if (open) {
      throw new ConfigException("S3INDEX_API_OPEN=true contradicts the access tokens that are set");
    }
    return AccessPolicy.parse(inline);
  }

  /**
   * An open API on {@code host:port} over {@code database}: random secret, no rate limit, no S3
   * endpoint.
   */
  public static ApiConfig of(String host, int port, DatabaseConfig database) {
    return new ApiConfig(host, port, randomSecret(), Duration.ofHours(24), true,
        AccessPolicy.open(), 0, 1, database, DEFAULT_STATEMENT_TIMEOUT, DEFAULT_COUNT_TIMEOUT,
        S3ApiConfig.off(), List.of(), DEFAULT_READ_MAX_LAG);
  }

  /** The same settings with another S3 endpoint. */
  public ApiConfig withS3Api(S3ApiConfig other) {
    return new ApiConfig(host, port, cursorSecret, cursorTtl, cursorSecretGenerated, access, rateLimit,
        rateBurst, database, statementTimeout, countTimeout, other, readReplicas, readMaxLag);
  }

  /** The same settings with other access rules. */
  public ApiConfig withAccess(AccessPolicy policy, int limit, int burst) {
    return new ApiConfig(host, port, cursorSecret, cursorTtl, cursorSecretGenerated, policy,
        limit, burst, database, statementTimeout, countTimeout, s3Api, readReplicas, readMaxLag);
  }

  /** The same settings with another cursor lifetime. */
  public ApiConfig withCursorTtl(Duration ttl) {
    return new ApiConfig(host, port, cursorSecret, ttl, cursorSecretGenerated, access, rateLimit,
        rateBurst, database, statementTimeout, countTimeout, s3Api, readReplicas, readMaxLag);
  }

  /** The same settings with other query time limits. */
  public ApiConfig withTimeouts(Duration statement, Duration count) {
    return new ApiConfig(host, port, cursorSecret, cursorTtl, cursorSecretGenerated, access, rateLimit,
        rateBurst, database, statement, count, s3Api, readReplicas, readMaxLag);
  }

  private static byte[] randomSecret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return secret;
  }

  @Override
  public byte[] cursorSecret() {
    return cursorSecret.clone();
  }

  @Override
  public String toString() {
    return "ApiConfig[host=" + host + ", port=" + port + ", cursorTtl=" + cursorTtl
        + ", open=" + access.isOpen() + ", rateLimit=" + rateLimit + ", statementTimeout="
        + statementTimeout + ", countTimeout=" + countTimeout + ", database=" + database
        + ", s3Api=" + (s3Api.enabled() ? "port " + s3Api.port() : "off")
        + ", readReplicas=" + readReplicas + ", readMaxLag=" + readMaxLag + "]";
  }
}
