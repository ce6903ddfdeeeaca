package io.s3index.indexer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP pass-through in front of an HTTP server that records the request line of every {@code
 * HEAD} request it forwards: how a test counts the HeadObject calls an S3 server receives. The
 * bytes pass unchanged (Host header included), so signatures still verify.
 */
final class CountingProxy implements AutoCloseable {

  private final ServerSocket server;
  private final URI target;
  private final List<String> heads = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  CountingProxy(URI target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "counting-proxy");
    accept.setDaemon(true);
    accept.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** The paths of the HEAD requests forwarded so far, in order. */
  List<String> heads() {
    return List.copyOf(heads);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(target.getHost(), target.getPort());
        sockets.add(client);
        sockets.add(upstream);
        pump(client.getInputStream(), upstream.getOutputStream(), true);
        pump(upstream.getInputStream(), client.getOutputStream(), false);
      } catch (IOException e) {
        return;
      }
    }
  }

  private void pump(InputStream in, OutputStream out, boolean requests) {
    Thread t = new Thread(() -> {
      StringBuilder line = new StringBuilder();
      byte[] buffer = new byte[8192];
      try {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (requests) {
            for (int i = 0; i < n; i++) {
              char c = (char) (buffer[i] & 0xFF);
              if (c == '\n') {
                String l = line.toString().trim();
                if (l.startsWith("HEAD ")) {
                  heads.add(l.split(" ")[1]);
                }
                line.setLength(0);
              } else if (line.length() < 4096) {
                line.append(c);
              }
            }
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // The other side closed: this direction ends.
      } finally {
        try {
          out.close();
        } catch (IOException e) {
          // Already closed.
        }
      }
    }, "counting-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
