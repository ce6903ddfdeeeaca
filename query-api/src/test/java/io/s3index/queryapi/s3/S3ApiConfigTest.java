package io.s3index.queryapi.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3ApiConfigTest {

  @Test
  void openApiServesTheEndpointOn7071ByDefault() {
    S3ApiConfig c = S3ApiConfig.from(new Settings(Map.of()), true);
    assertThat(c.port()).isEqualTo(7071);
    assertThat(c.open()).isTrue();
    assertThat(c.origin()).isNull();
  }

  @Test
  void withoutKeysOrTheOpenModeTheEndpointIsOff() {
    assertThat(S3ApiConfig.from(new Settings(Map.of()), false).enabled()).isFalse();
    assertThat(S3ApiConfig.from(new Settings(Map.of("S3INDEX_S3API_PORT", "-1")), true).enabled()).isFalse();
  }

  @Test
  void keysOriginDomainAndBucketsAreRead() {
    S3ApiConfig c = S3ApiConfig.from(new Settings(Map.of(
        "S3INDEX_S3API_KEYS", "AKIA1 secret-0123456789abcdef photos/2024 logs; AKIA2 other-secret-0123456 *",
        "S3INDEX_S3API_ORIGIN", "http://minio:p%40ss-word-123@store.local:9000",
        "S3INDEX_S3API_DOMAIN", "S3.Example.com",
        "S3INDEX_S3API_BUCKETS", "a, b,,c")), false);
    assertThat(c.keys().size()).isEqualTo(2);
    assertThat(c.keys().find("AKIA1").principal().mayRead("photos", "2024/x")).isTrue();
    assertThat(c.keys().find("AKIA1").principal().mayRead("photos", "2023/x")).isFalse();
    assertThat(c.keys().find("AKIA1").secret()).isEqualTo("secret-0123456789abcdef");
    assertThat(c.keys().find("nobody")).isNull();
    assertThat(c.origin().endpoint().toString()).isEqualTo("http://store.local:9000");
    assertThat(c.origin().accessKey()).isEqualTo("minio");
    assertThat(c.origin().secretKey()).isEqualTo("p@ss-word-123");
    assertThat(c.origin().toString()).doesNotContain("p@ss");
    assertThat(c.domain()).isEqualTo("s3.example.com");
    assertThat(c.buckets()).containsExactly("a", "b", "c");
  }

  @Test
  void badSettingsFailWithAReadableMessage() {
    assertThatThrownBy(() -> S3ApiConfig.from(new Settings(Map.of("S3INDEX_S3API_KEYS", "AKIA1 short *")), false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("at least 16");
    assertThatThrownBy(() -> S3ApiConfig.from(new Settings(Map.of("S3INDEX_S3API_KEYS", "AKIA1 secret-0123456789abcdef")), false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("<scope>");
    assertThatThrownBy(() -> S3ApiConfig.from(new Settings(Map.of(
        "S3INDEX_S3API_KEYS", "AKIA1 secret-0123456789abcdef *;AKIA1 secret-0123456789abcdef *")), false))
        .isInstanceOf(ConfigException.class).hasMessageContaining("repeats");
    assertThatThrownBy(() -> S3ApiConfig.from(new Settings(Map.of(
        "S3INDEX_S3API_KEYS", "AKIA1 secret-0123456789abcdef *")), true))
        .isInstanceOf(ConfigException.class).hasMessageContaining("S3INDEX_API_OPEN");
    assertThatThrownBy(() -> S3ApiConfig.from(new Settings(Map.of("S3INDEX_S3API_ORIGIN", "ftp://x")), true))
        .isInstanceOf(ConfigException.class).hasMessageContaining("http://host:port");
  }
}
