package io.s3index.indexer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The indexer as its operators run it: a process whose exit status tells a supervisor what to do. */
class IndexerMainIT {

  /** Runs the child to its end, its output in {@code log}, and checks its exit status. */
  private static String run(ProcessBuilder pb, Path log, int expectedExit) throws Exception {
    Process child = pb.redirectOutput(log.toFile()).start();
    boolean exited = child.waitFor(120, TimeUnit.SECONDS);
    if (!exited) {
      child.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(exited).as("the indexer exits by itself; its output:%n%s", output).isTrue();
    assertThat(child.exitValue()).as(output).isEqualTo(expectedExit);
    return output;
  }

  @Test
  void aConsumerLoopThatDiesEndsTheProcessWithStatusOne() throws Exception {
    try (Harness harness = new Harness("indexer-main-dies", 1)) {
      Path log = Files.createTempFile("indexer-main", ".log");
      // A consumer setting only the broker can refuse, and only once the loop polls: the loop
      // dies of it. The process must not stay up looking healthy with nothing consuming.
      String output = run(harness.indexerProcess("128m", Map.of(
          "S3INDEX_GROUP_ID", "indexer-main-dies",
          "S3INDEX_KAFKA_CONSUMER_GROUP_PROTOCOL", "consumer",
          "S3INDEX_KAFKA_CONSUMER_GROUP_REMOTE_ASSIGNOR", "no-such-assignor")), log, 1);
      assertThat(output).contains("indexer loop died", "exiting: the consumer loop died");
      Files.deleteIfExists(log);
    }
  }

  @Test
  void anIllegalTopicNameIsAConfigurationErrorOnOneLine() throws Exception {
    try (Harness harness = new Harness("indexer-main-topic", 1)) {
      Path log = Files.createTempFile("indexer-main", ".log");
      String output = run(harness.indexerProcess("128m", Map.of("S3INDEX_TOPIC", "s3 events")), log, 2);
      assertThat(output.strip()).startsWith("s3index-indexer: S3INDEX_TOPIC")
          .contains("'s3 events'").doesNotContain("\n").doesNotContain("Exception");
      Files.deleteIfExists(log);
    }
  }
}
