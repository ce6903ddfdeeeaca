package io.s3index.ops.tools;

import io.s3index.shared.db.Database;
import java.io.PrintWriter;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ops status}: how far the indexer is, per partition, and what the index holds. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show per partition: committed offset, end offset, lag, newest event applied; and objects per bucket.")
public final class StatusCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    String topic = connections.topic();
    String group = connections.group();
    try (Database database = connections.openDatabase();
         Admin admin = Admin.create(Map.of(
             AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, connections.bootstrapServers(),
             AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
             AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
      List<Integer> partitions;
      try {
        partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
            .get(topic).partitions().stream().map(p -> p.partition()).sorted().toList();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("topic " + topic + " cannot be described: " + e.getCause().getMessage());
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("cannot reach Kafka at " + connections.bootstrapServers());
      }
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      partitions.forEach(p -> latest.put(new TopicPartition(topic, p), OffsetSpec.latest()));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      Map<Integer, OffsetDateTime> lastEvent = new HashMap<>();
      database.jdbi().useHandle(h -> h.createQuery("""
              SELECT partition, last_event_time FROM indexer_progress
              WHERE consumer_group = :group AND topic = :topic""")
          .bind("group", group).bind("topic", topic)
          .map((rs, c) -> lastEvent.put(rs.getInt(1), rs.getObject(2, OffsetDateTime.class))).list());

      out.printf(Locale.ROOT, "topic %s, consumer group %s%n", topic, group);
      out.printf(Locale.ROOT, "  %-9s %14s %14s %10s  %s%n", "partition", "committed", "end", "lag", "newest event applied");
      long totalLag = 0;
      for (int p : partitions) {
        TopicPartition tp = new TopicPartition(topic, p);
        long end = ends.get(tp).offset();
        OffsetAndMetadata c = committed.get(tp);
        long lag = end - (c == null ? 0 : c.offset());
        totalLag += lag;
        OffsetDateTime time = lastEvent.get(p);
        out.printf(Locale.ROOT, "  %-9d %14s %,14d %,10d  %s%n", p, c == null ? "-" : String.format(Locale.ROOT, "%,d", c.offset()),
            end, lag, time == null ? "-" : time.toInstant().toString());
      }
      out.printf(Locale.ROOT, "  total lag %,d%n%n", totalLag);

      out.printf(Locale.ROOT, "  %-30s %14s %12s%n", "bucket", "objects", "tombstones");
      database.jdbi().useHandle(h -> h.createQuery("""
              SELECT bucket, count(*) FILTER (WHERE NOT deleted) AS live, count(*) FILTER (WHERE deleted) AS dead
              FROM objects GROUP BY bucket ORDER BY bucket""")
          .map((rs, c) -> {
            out.printf(Locale.ROOT, "  %-30s %,14d %,12d%n", rs.getString(1), rs.getLong(2), rs.getLong(3));
            return Boolean.TRUE;
          }).list());
      out.flush();
    }
    return 0;
  }
}
