package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.ops.dev.DevStack;
import io.s3index.queryapi.ApiClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** What {@code ops dev --demo} runs: the whole stack in one process, with data at once. */
class DevStackIT {

  @Test
  void startsEverythingLoadsTheDemoAndStopsCleanly() {
    StringWriter log = new StringWriter();
    try (DevStack stack = DevStack.start(new DevStack.Options(0, 0, 0, 0, -1, "dev-events", null, 0))) {
      int indexed = stack.loadDemo("demo", 300, new PrintWriter(log, true));
      assertThat(indexed).isEqualTo(300);
      ApiClient client = new ApiClient(URI.create(stack.apiUrl()).getPort());
      ApiClient.Response page = client.get("/v1/buckets/demo/objects?page_size=5&prefix=photos/");
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.body().path("data")).hasSize(5);
      assertThat(page.body().path("data").get(0).path("key").asText()).startsWith("photos/");
      assertThat(page.body().path("pagination").path("has_next").asBoolean()).isTrue();
    }
    assertThat(log.toString()).contains("300 objects indexed");
  }
}
