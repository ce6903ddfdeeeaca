package io.s3index.shared.events;

import java.util.List;

/**
 * What one message yielded: the object events to apply, how many records it carried that change
 * nothing in the index (test events, event types the index does not track), and why each record
 * that could not be taken was refused (the message is dead-lettered with these reasons, and its
 * good records still apply).
 */
public record ParsedMessage(List<ObjectEvent> events, int skipped, List<String> rejected) {

  public ParsedMessage {
    events = List.copyOf(events);
    rejected = List.copyOf(rejected);
    if (skipped < 0) {
      throw new IllegalArgumentException("skipped must not be negative");
    }
  }

  public ParsedMessage(List<ObjectEvent> events, int skipped) {
    this(events, skipped, List.of());
  }
}
