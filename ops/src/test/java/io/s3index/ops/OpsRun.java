package io.s3index.ops;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** One in-process run of the ops command line: its exit status and what it printed. */
record OpsRun(int exit, String out, String err) {

  /**
   * Runs {@code args}, adding each of the {@code connection} flag/value pairs the arguments do
   * not already give.
   */
  static OpsRun run(String[] connection, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    for (int i = 0; i < connection.length; i += 2) {
      if (!all.contains(connection[i])) {
        all.add(connection[i]);
        all.add(connection[i + 1]);
      }
    }
    CommandLine cli = OpsMain.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(all.toArray(String[]::new));
    return new OpsRun(exit, out.toString(), err.toString());
  }
}
