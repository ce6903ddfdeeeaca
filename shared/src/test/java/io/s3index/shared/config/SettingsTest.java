package io.s3index.shared.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

  @Test
  void readsTypedValuesWithDefaults() {
    Settings s = new Settings(Map.of("A", "12", "B", "yes", "C", "7d", "D", " "));
    assertThat(s.integer("A", 1, 0, 100)).isEqualTo(12);
    assertThat(s.integer("MISSING", 5, 0, 100)).isEqualTo(5);
    assertThat(s.bool("B", false)).isTrue();
    assertThat(s.duration("C", Duration.ZERO)).isEqualTo(Duration.ofDays(7));
    assertThat(s.string("D", "default")).isEqualTo("default");
  }

  @Test
  void namesTheVariableInErrorsAndHidesSecrets() {
    Settings s = new Settings(Map.of("PORT", "x", "RANGE", "500", "MY_SECRET_TOKEN", "hunter2x",
        "DUR", "5 minutes"));
    assertThatThrownBy(() -> s.integer("PORT", 1, 0, 10)).hasMessageContaining("PORT");
    assertThatThrownBy(() -> s.integer("RANGE", 1, 0, 10)).hasMessageContaining("between 0 and 10");
    assertThatThrownBy(() -> s.integer("MY_SECRET_TOKEN", 1, 0, 10))
        .hasMessageNotContaining("hunter2x");
    assertThatThrownBy(() -> s.duration("DUR", Duration.ZERO)).hasMessageContaining("DUR");
    assertThatThrownBy(() -> s.required("NOPE")).hasMessageContaining("NOPE is required");
  }
}
