package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.queryapi.problem.ApiProblem;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueryStringTest {

  @Test
  void decodesFormEncodingAndKeepsRepeats() {
    Map<String, List<String>> p = QueryString.parse("prefix=a+b%2Bc%2F%C3%A9&x=1&x=2&flag&&empty=");
    assertThat(p.get("prefix")).containsExactly("a b+c/é");
    assertThat(p.get("x")).containsExactly("1", "2");
    assertThat(p.get("flag")).containsExactly("");
    assertThat(p.get("empty")).containsExactly("");
    assertThat(QueryString.parse(null)).isEmpty();
  }

  @Test
  void rejectsBrokenEscapesNamingTheParameter() {
    for (String bad : List.of("cursor=%ZZ", "cursor=%", "cursor=%4", "cursor=%C3", "cursor=%FF%FE")) {
      assertThatThrownBy(() -> QueryString.parse(bad)).as(bad).isInstanceOfSatisfying(ApiProblem.class,
          e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.errors()).containsKey("cursor");
          });
    }
    assertThatThrownBy(() -> QueryString.parse("%ZZ=1")).isInstanceOf(ApiProblem.class);
  }
}
