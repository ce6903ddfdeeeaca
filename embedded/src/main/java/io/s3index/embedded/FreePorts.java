package io.s3index.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Port numbers for servers that must be told their port before they bind (Kafka's quorum, a
 * PostgreSQL that a test stops and starts again on the same port).
 */
public final class FreePorts {

  private FreePorts() {}

  /** A port of the loopback interface the OS just handed out and released. */
  public static int loopback() {
    return resolve(0);
  }

  /** {@code requested} itself, or when it is 0 a port the OS just handed out and released. */
  public static int resolve(int requested) {
    if (requested != 0) {
      return requested;
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on the loopback interface", e);
    }
  }
}
