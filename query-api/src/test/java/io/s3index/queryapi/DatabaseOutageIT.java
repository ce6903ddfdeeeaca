package io.s3index.queryapi;

import static org.awaitility.Awaitility.await;
import io.s3index.embedded.FreePorts;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** While the database is away the API answers 503 problem documents, and it recovers by itself. */
class DatabaseOutageIT {

  @Test
  void answers503WhileTheDatabaseIsAwayAndRecoversAlone() throws Exception {
    int port = FreePorts.loopback();
    DatabaseConfig config = new DatabaseConfig("jdbc:postgresql://localhost:" + port + "/postgres",
        "postgres", "postgres", 4);
    try (Database database = new Database(config, "outage")) {
      var app = ApiApp.create(ApiConfig.of("127.0.0.1", 0, config), database, Clock.systemUTC())
          .start("127.0.0.1", 0);
      try {
        ApiClient api = new ApiClient(app.port());
        ApiClient.Response down = api.get("/v1/buckets/b/objects");
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.contentType()).startsWith("application/problem+json");
        assertThat(down.body().path("error").asText()).isEqualTo("unavailable");
        assertThat(api.get("/readyz").status()).isEqualTo(503);
        assertThat(api.get("/healthz").status()).isEqualTo(200);

        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(port, null)) {
          assertThat(postgres.port()).isEqualTo(port);
          // Migrate through a pool of its own: the API's pool must find the database by itself.
          try (Database migrator = new Database(config, "migrator")) {
            migrator.migrate();
          }
          await("the API answers again").atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/buckets/b/objects").status() == 200);
          assertThat(api.get("/readyz").status()).isEqualTo(200);
        }
        await("503 once the database is gone again").atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/buckets/b/objects").status() == 503);
      } finally {
        app.stop();
      }
    }
  }
}
