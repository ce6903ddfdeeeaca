package io.s3index.indexer.batch;

import io.s3index.indexer.apply.ApplyResult;
import io.s3index.indexer.apply.DeadLetter;
import java.util.List;
import java.util.Map;

/**
 * What handling one batch committed.
 *
 * @param records messages in the batch
 * @param result the events' effect on the index
 * @param skipped records that change nothing (test events, untracked event types)
 * @param deadLetters messages set aside, stored in the outbox in the batch's transaction
 * @param commit the next offset per partition, now stored with the data: what to commit to Kafka
 * @param parseNanos time spent parsing the messages
 */
public record BatchOutcome(int records, ApplyResult result, int skipped, List<DeadLetter> deadLetters,
    Map<Integer, Long> commit, long parseNanos) {

  public BatchOutcome {
    deadLetters = List.copyOf(deadLetters);
    commit = Map.copyOf(commit);
  }
}
