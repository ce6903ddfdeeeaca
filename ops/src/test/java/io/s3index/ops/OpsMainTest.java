package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class OpsMainTest {

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cli = io.s3index.ops.OpsMain.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void everySubcommandHasHelp() {
    Run top = run("--help");
    assertThat(top.exit()).isZero();
    assertThat(top.out()).contains("dev");
    Run dev = run("dev", "--help");
    assertThat(dev.exit()).isZero();
    assertThat(dev.out()).contains("--demo", "--api-port", "--kafka-port", "--s3-port");
  }

  @Test
  void aPortInUseEndsWithOneReadableLine() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Run r = run("dev", "--api-port", String.valueOf(busy.getLocalPort()));
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().strip()).doesNotContain("\n")
          .contains("port " + busy.getLocalPort(), "in use", "--api-port");
    }
  }

  @Test
  void malformedOptionsAreUsageErrors() {
    Run r = run("dev", "--api-port", "seventy");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--api-port").contains("seventy");
    assertThat(run("frobnicate").exit()).isEqualTo(2);
  }
}
