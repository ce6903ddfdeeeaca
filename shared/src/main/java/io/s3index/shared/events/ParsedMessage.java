package io.s3index.shared.events;

import java.util.List;

/**
 * What one message yielded: the object events to apply, and how many records it carried that
 * change nothing in the index (test events, event types the index does not track).
 */
public record ParsedMessage(List<ObjectEvent> events, int skipped) {

  public ParsedMessage {
    events = List.copyOf(events);
    if (skipped < 0) {
      throw new IllegalArgumentException("skipped must not be negative");
    }
  }
}
