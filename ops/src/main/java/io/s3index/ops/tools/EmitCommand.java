package io.s3index.ops.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.shared.events.EventParser;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.InvalidEventException;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.ObjectKeys;
import io.s3index.shared.events.ParsedMessage;
import io.s3index.shared.events.Sequencer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops emit}: publishes S3-format events, keyed {@code bucket/key}. */
@Command(
    name = "emit",
    mixinStandardHelpOptions = true,
    description = {
        "Publish S3 event notifications to the events topic, for uploaders and tests.",
        "One event from flags:    ops emit --bucket photos --key 'a b.jpg' --size 1024 --etag e1",
        "A deletion:              ops emit --bucket photos --key 'a b.jpg' --delete",
        "Many from a file:        ops emit --file events.jsonl",
        "Each line of the file is either a full message (S3 {\"Records\":[...]} or EventBridge), sent",
        "as it is, or {\"bucket\":..,\"key\":..,\"size\":..,\"etag\":..,\"delete\":false,\"sequencer\":..,\"time\":..}."})
public final class EmitCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @ArgGroup(exclusive = false)
    One one;

    @Option(names = "--file", required = true, description = "JSON lines to publish ('-' for standard input)")
    String file;
  }

  static final class One {
    @Option(names = "--bucket", required = true, description = "bucket name")
    String bucket;

    @Option(names = "--key", required = true, description = "object key (plain text, not encoded)")
    String key;

    @Option(names = "--size", defaultValue = "0", description = "object size in bytes")
    long size;

    @Option(names = "--etag", description = "ETag")
    String etag;

    @Option(names = "--version-id", description = "version id")
    String versionId;

    @Option(names = "--delete", description = "a deletion instead of a creation")
    boolean delete;

    @Option(names = "--sequencer", description = "hex sequencer (default: derived from the current time)")
    String sequencer;

    @Option(names = "--content-type", description = "content type to carry in the event (MinIO style)")
    String contentType;
  }

  private final ObjectMapper mapper = new ObjectMapper();
  private final EventParser parser = new EventParser(mapper);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try {
      return publish(out);
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new IllegalStateException("cannot reach Kafka at " + connections.bootstrapServers()
          + " (" + e.getMessage() + ")");
    }
  }

  private int publish(PrintWriter out) throws Exception {
    try (EventPublisher publisher = new EventPublisher(connections.bootstrapServers(), connections.topic(),
        java.time.Duration.ofSeconds(5))) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      if (source.one != null) {
        sent.add(publisher.publish(fromFlags(source.one)));
      } else {
        Progress progress = new Progress(out, "emitting", -1);
        try (BufferedReader reader = source.file.equals("-")
            ? new BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))
            : Files.newBufferedReader(Path.of(source.file), StandardCharsets.UTF_8)) {
          String line;
          int number = 0;
          while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank()) {
              continue;
            }
            sent.add(fromLine(publisher, line, number));
            progress.update(sent.size());
          }
        } catch (java.nio.file.NoSuchFileException e) {
          throw new IllegalArgumentException("no such file: " + source.file);
        }
        progress.finish(sent.size());
      }
      await(sent);
      out.println("published " + sent.size() + " event(s) to " + connections.topic() + " at "
          + connections.bootstrapServers());
    }
    return 0;
  }

  private ObjectEvent fromFlags(One o) {
    ObjectKeys.check(o.key);
    Instant now = Instant.now();
    String sequencer = o.sequencer == null ? Sequencer.fromEventTime(now) : Sequencer.normalize(o.sequencer);
    return new ObjectEvent(o.bucket, o.key, o.delete ? ObjectEvent.Kind.REMOVED : ObjectEvent.Kind.CREATED,
        o.delete ? 0 : o.size, o.etag, o.versionId, sequencer, now,
        o.delete ? "ObjectRemoved:Delete" : "ObjectCreated:Put", o.delete ? null : o.contentType, null);
  }

  private Future<RecordMetadata> fromLine(EventPublisher publisher, String line, int number) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    JsonNode node;
    try {
      node = mapper.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException("line " + number + " is not JSON");
    }
    try {
      if (node.has("Records") || node.has("source")) {
        ParsedMessage parsed = parser.parse(bytes);
        String key = parsed.events().isEmpty() ? "" : parsed.events().get(0).bucket() + "/" + parsed.events().get(0).key();
        return publisher.publishRaw(key, bytes);
      }
      String bucket = node.path("bucket").asText("");
      String key = node.path("key").asText("");
      if (bucket.isEmpty() || key.isEmpty()) {
        throw new IllegalArgumentException("needs \"bucket\" and \"key\"");
      }
      ObjectKeys.check(key);
      boolean delete = node.path("delete").asBoolean(false);
      Instant time = node.hasNonNull("time") ? Instant.parse(node.get("time").asText()) : Instant.now();
      String sequencer = node.hasNonNull("sequencer")
          ? Sequencer.normalize(node.get("sequencer").asText()) : Sequencer.fromEventTime(time);
      return publisher.publish(new ObjectEvent(bucket, key,
          delete ? ObjectEvent.Kind.REMOVED : ObjectEvent.Kind.CREATED, delete ? 0 : node.path("size").asLong(0),
          node.path("etag").asText(null), node.path("version_id").asText(null), sequencer, time,
          delete ? "ObjectRemoved:Delete" : "ObjectCreated:Put",
          delete ? null : node.path("content_type").asText(null), null));
    } catch (InvalidEventException | IllegalArgumentException | DateTimeParseException e) {
      throw new IllegalArgumentException("line " + number + ": " + e.getMessage());
    }
  }

  private void await(List<Future<RecordMetadata>> sent) throws InterruptedException {
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
          throw new IllegalStateException("cannot reach Kafka at " + connections.bootstrapServers()
              + " (no answer within 5 s)");
        }
        throw new IllegalStateException("Kafka at " + connections.bootstrapServers()
            + " did not take the events: " + e.getCause().getMessage());
      } catch (TimeoutException e) {
        throw new IllegalStateException("cannot reach Kafka at " + connections.bootstrapServers());
      }
    }
  }

}
