package io.s3index.shared.config;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Typed, checked reads of string settings (environment variables, or a map in tests). Every read
 * names its default; a malformed value fails with a {@link ConfigException} naming the variable.
 * Values are never echoed for names that look secret.
 */
public final class Settings {

  private final Map<String, String> values;

  public Settings(Map<String, String> values) {
    this.values = Map.copyOf(Objects.requireNonNull(values, "values"));
  }

  /** The process environment. */
  public static Settings fromEnvironment() {
    return new Settings(System.getenv());
  }

  /**
   * Settings whose names start with {@code prefix}, as client properties: the rest of the name
   * lower-cased with {@code _} as {@code .} ({@code S3INDEX_KAFKA_CONSUMER_SESSION_TIMEOUT_MS}
   * with prefix {@code S3INDEX_KAFKA_CONSUMER_} is {@code session.timeout.ms}).
   */
  public Map<String, String> properties(String prefix) {
    Map<String, String> properties = new java.util.TreeMap<>();
    values.forEach((name, value) -> {
      if (name.startsWith(prefix) && name.length() > prefix.length() && !value.isBlank()) {
        properties.put(name.substring(prefix.length()).toLowerCase(java.util.Locale.ROOT)
            .replace('_', '.'), value.trim());
      }
    });
    return properties;
  }

  public String string(String name, String defaultValue) {
    String value = values.get(name);
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  /** A setting that must be present. */
  public String required(String name) {
    String value = string(name, null);
    if (value == null) {
      throw new ConfigException(name + " is required");
    }
    return value;
  }

  public int integer(String name, int defaultValue, int min, int max) {
    String raw = string(name, null);
    if (raw == null) {
      return defaultValue;
    }
    int value;
    try {
      value = Integer.parseInt(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(name + " must be a whole number, not '" + shown(name, raw) + "'");
    }
    if (value < min || value > max) {
      throw new ConfigException(name + " must be between " + min + " and " + max + ", not " + value);
    }
    return value;
  }

  public boolean bool(String name, boolean defaultValue) {
    String raw = string(name, null);
    if (raw == null) {
      return defaultValue;
    }
    return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new ConfigException(name + " must be true or false, not '" + raw + "'");
    };
  }

  /** A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 24h}, {@code 7d}, or {@code 0}. */
  public Duration duration(String name, Duration defaultValue) {
    String raw = string(name, null);
    if (raw == null) {
      return defaultValue;
    }
    try {
      return Durations.parse(raw);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name + ": " + e.getMessage());
    }
  }

  private static String shown(String name, String raw) {
    String upper = name.toUpperCase(java.util.Locale.ROOT);
    boolean secret = upper.contains("SECRET") || upper.contains("PASSWORD")
        || upper.contains("TOKEN") || upper.contains("KEY");
    return secret ? "***" : raw;
  }
}
