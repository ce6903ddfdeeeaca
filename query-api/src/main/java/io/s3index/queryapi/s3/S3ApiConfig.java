package io.s3index.queryapi.s3;

import io.s3index.queryapi.access.AccessKeys;
import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The S3-compatible endpoint's settings, read once at start.
 *
 * @param port its own port ({@code S3INDEX_S3API_PORT}, default 7071; 0 picks a free one; -1 = off)
 * @param domain virtual-hosted style: a Host of {@code <bucket>.<domain>} names the bucket ({@code
 *     S3INDEX_S3API_DOMAIN}, e.g. {@code s3.example.com}), or null for path style only
 * @param region the region the endpoint reports ({@code S3INDEX_S3API_REGION}, default us-east-1);
 *     signatures are accepted for any region
 * @param keys access keys ({@code S3INDEX_S3API_KEYS} inline or {@code S3INDEX_S3API_KEYS_FILE}),
 *     or null when open
 * @param open any credentials, or none, read every bucket (with {@code S3INDEX_API_OPEN=true})
 * @param origin where {@code GetObject} is streamed from ({@code S3INDEX_S3API_ORIGIN}), or null
 * @param buckets buckets known from configuration, besides those the index has seen ({@code
 *     S3INDEX_S3API_BUCKETS}, comma-separated)
 */
public record S3ApiConfig(int port, String domain, String region, AccessKeys keys, boolean open,
    Origin origin, List<String> buckets) {

  public static final int DEFAULT_PORT = 7071;

  /**
   * An S3 endpoint to stream objects from: {@code S3INDEX_S3API_ORIGIN=http://host:port}, with
   * its credentials in the URL ({@code http://KEY:SECRET@host:port}) or in {@code
   * S3INDEX_S3API_ORIGIN_ACCESS_KEY} and {@code S3INDEX_S3API_ORIGIN_SECRET_KEY}; its region in
   * {@code S3INDEX_S3API_ORIGIN_REGION} (default us-east-1). Requests go path style.
   */
  public record Origin(URI endpoint, String accessKey, String secretKey, String region) {

    public Origin {
      Objects.requireNonNull(endpoint, "endpoint");
      Objects.requireNonNull(region, "region");
      if ((accessKey == null) != (secretKey == null)) {
        throw new ConfigException("the S3 origin needs both an access key and a secret key, or neither");
      }
    }

    @Override
    public String toString() {
      return "Origin[" + endpoint + ", accessKey=" + accessKey + "]";
    }
  }

  public S3ApiConfig {
    Objects.requireNonNull(region, "region");
    buckets = List.copyOf(buckets);
    if (!open && keys == null && port >= 0) {
      throw new ConfigException("the S3 endpoint needs access keys (S3INDEX_S3API_KEYS) unless the API is open");
    }
  }

  /** An open endpoint on {@code port} (embedded mode and tests). */
  public static S3ApiConfig open(int port) {
    return new S3ApiConfig(port, null, "us-east-1", null, true, null, List.of());
  }

  /** No S3 endpoint. */
  public static S3ApiConfig off() {
    return new S3ApiConfig(-1, null, "us-east-1", null, true, null, List.of());
  }

  public boolean enabled() {
    return port >= 0;
  }

  /** The same settings with another origin. */
  public S3ApiConfig withOrigin(Origin other) {
    return new S3ApiConfig(port, domain, region, keys, open, other, buckets);
  }

  /** The same settings with access keys instead of the open mode. */
  public S3ApiConfig withKeys(AccessKeys other) {
    return new S3ApiConfig(port, domain, region, other, false, origin, buckets);
  }

  /** The same settings with a virtual-hosted domain. */
  public S3ApiConfig withDomain(String other) {
    return new S3ApiConfig(port, other, region, keys, open, origin, buckets);
  }

  /**
   * Reads the settings. Without access keys and without the open mode the endpoint is off (a
   * deployment that configured only bearer tokens serves no S3 API until it configures keys).
   */
  public static S3ApiConfig from(Settings settings, boolean apiOpen) {
    int port = settings.integer("S3INDEX_S3API_PORT", DEFAULT_PORT, -1, 65535);
    String inline = settings.string("S3INDEX_S3API_KEYS", null);
    String file = settings.string("S3INDEX_S3API_KEYS_FILE", null);
    if (inline != null && file != null) {
      throw new ConfigException("set S3INDEX_S3API_KEYS or S3INDEX_S3API_KEYS_FILE, not both");
    }
    if (file != null) {
      try {
        inline = Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConfigException("S3INDEX_S3API_KEYS_FILE cannot be read: " + file);
      }
    }
    AccessKeys keys = inline == null ? null : AccessKeys.parse(inline);
    if (keys != null && apiOpen) {
      throw new ConfigException("S3INDEX_API_OPEN=true contradicts the S3 access keys that are set");
    }
    if (keys == null && !apiOpen) {
      port = -1;
    }
    String domain = settings.string("S3INDEX_S3API_DOMAIN", null);
    if (domain != null && !domain.matches("[A-Za-z0-9.-]+")) {
      throw new ConfigException("S3INDEX_S3API_DOMAIN must be a host name, not " + domain);
    }
    String buckets = settings.string("S3INDEX_S3API_BUCKETS", "");
    return new S3ApiConfig(port, domain == null ? null : domain.toLowerCase(java.util.Locale.ROOT),
        settings.string("S3INDEX_S3API_REGION", "us-east-1"), keys, apiOpen, origin(settings),
        Arrays.stream(buckets.split(",")).map(String::strip).filter(b -> !b.isEmpty()).toList());
  }

  private static Origin origin(Settings settings) {
    String raw = settings.string("S3INDEX_S3API_ORIGIN", null);
    if (raw == null) {
      return null;
    }
    URI uri;
    try {
      uri = URI.create(raw);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("S3INDEX_S3API_ORIGIN is not a URL");
    }
    if (uri.getScheme() == null || uri.getHost() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
      throw new ConfigException("S3INDEX_S3API_ORIGIN must look like http://host:port");
    }
    String accessKey = settings.string("S3INDEX_S3API_ORIGIN_ACCESS_KEY", null);
    String secretKey = settings.string("S3INDEX_S3API_ORIGIN_SECRET_KEY", null);
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      if (parts.length != 2 || accessKey != null || secretKey != null) {
        throw new ConfigException("S3INDEX_S3API_ORIGIN: give the credentials as KEY:SECRET in the URL "
            + "or in S3INDEX_S3API_ORIGIN_ACCESS_KEY/_SECRET_KEY, not both");
      }
      accessKey = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
      secretKey = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
      uri = URI.create(uri.getScheme() + "://" + uri.getRawAuthority().substring(uri.getRawAuthority().indexOf('@') + 1)
          + (uri.getRawPath() == null ? "" : uri.getRawPath()));
    }
    return new Origin(uri, accessKey, secretKey, settings.string("S3INDEX_S3API_ORIGIN_REGION", "us-east-1"));
  }
}
