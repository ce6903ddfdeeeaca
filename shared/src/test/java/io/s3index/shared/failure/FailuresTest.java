package io.s3index.shared.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class FailuresTest {

  private static Throwable wrapped(String state) {
    return new IllegalStateException("statement failed", new RuntimeException(new SQLException("boom", state)));
  }

  @Test
  void dataErrorsAreTheValueClasses() {
    for (String state : new String[] {"22021", "22008", "22P05", "23505", "54000"}) {
      assertThat(Failures.classify(wrapped(state))).as(state).isEqualTo(Failures.Kind.DATA);
    }
  }

  @Test
  void everythingElseIsRetried() {
    for (String state : new String[] {"08006", "08001", "57P01", "57P03", "53300", "40001", "40P01", "57014", "XX000"}) {
      assertThat(Failures.classify(wrapped(state))).as(state).isEqualTo(Failures.Kind.TRANSIENT);
    }
    assertThat(Failures.classify(new RuntimeException("broker away"))).isEqualTo(Failures.Kind.TRANSIENT);
    assertThat(Failures.isStatementTimeout(wrapped("57014"))).isTrue();
    assertThat(Failures.describe(wrapped("22021"))).isEqualTo("SQLSTATE 22021: boom");
  }
}
