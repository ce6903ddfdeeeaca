package io.s3index.queryapi;

import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import io.s3index.shared.db.DatabaseConfig;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
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
 */
public record ApiConfig(String host, int port, byte[] cursorSecret, Duration cursorTtl,
    boolean cursorSecretGenerated, DatabaseConfig database) {

  public ApiConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(cursorSecret, "cursorSecret");
    Objects.requireNonNull(cursorTtl, "cursorTtl");
    Objects.requireNonNull(database, "database");
    if (cursorSecret.length < 16) {
      throw new ConfigException("S3INDEX_CURSOR_SECRET must be at least 16 bytes long");
    }
    cursorSecret = cursorSecret.clone();
  }

  public static ApiConfig from(Settings settings) {
    String secret = settings.string("S3INDEX_CURSOR_SECRET", null);
    return new ApiConfig(
        settings.string("S3INDEX_API_HOST", "0.0.0.0"),
        settings.integer("S3INDEX_API_PORT", 7070, 0, 65535),
        secret == null ? randomSecret() : secret.getBytes(StandardCharsets.UTF_8),
        settings.duration("S3INDEX_CURSOR_TTL", Duration.ofHours(24)),
        secret == null,
        DatabaseConfig.from(settings, 8));
  }

  /** Settings for an API on {@code host:port} over {@code database}, with a random secret. */
  public static ApiConfig of(String host, int port, DatabaseConfig database) {
    return new ApiConfig(host, port, randomSecret(), Duration.ofHours(24), true, database);
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
        + ", database=" + database + "]";
  }
}
