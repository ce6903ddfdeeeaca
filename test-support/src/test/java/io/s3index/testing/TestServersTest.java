package io.s3index.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.testing.TestServers.Mode;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TestServersTest {

  @Test
  void withoutThePropertyDockerDecides() {
    assertThat(TestServers.choose(null, () -> true)).isEqualTo(Mode.CONTAINERS);
    assertThat(TestServers.choose(null, () -> false)).isEqualTo(Mode.EMBEDDED);
    assertThat(TestServers.choose("  ", () -> false)).isEqualTo(Mode.EMBEDDED);
  }

  @Test
  void thePropertyWinsAndDockerIsNotAsked() {
    AtomicInteger asked = new AtomicInteger();
    assertThat(TestServers.choose("containers", () -> asked.incrementAndGet() > 0 && false))
        .isEqualTo(Mode.CONTAINERS);
    assertThat(TestServers.choose("Embedded", () -> asked.incrementAndGet() > 0)).isEqualTo(Mode.EMBEDDED);
    assertThat(asked).hasValue(0);
  }

  @Test
  void anyOtherValueIsAClearError() {
    assertThatThrownBy(() -> TestServers.choose("docker", () -> true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("-Ds3index.servers must be embedded or containers, not 'docker'");
  }
}
