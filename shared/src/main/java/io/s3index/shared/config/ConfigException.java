package io.s3index.shared.config;

/** A setting is missing or malformed. The message names the setting and is fit to show as-is. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }
}
