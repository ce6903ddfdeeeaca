package io.s3index.ops;

import io.s3index.ops.dev.DevCommand;
import io.s3index.ops.tools.BackfillCommand;
import io.s3index.ops.tools.EmitCommand;
import io.s3index.ops.rebuild.RebuildCommand;
import io.s3index.ops.tools.ReconcileCommand;
import io.s3index.ops.tools.MigrateCommand;
import io.s3index.ops.tools.PurgeTombstonesCommand;
import io.s3index.ops.tools.StatusCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ops}: the operator's command line. Each subcommand has {@code --help}. */
@Command(
    name = "ops",
    mixinStandardHelpOptions = true,
    version = "s3index ops 0.1.0",
    description = "Operate s3index: run it all-in-one, publish events, inspect, and maintain it (the benchmarks are their own jar: bench/).",
    subcommands = {DevCommand.class, EmitCommand.class, RebuildCommand.class, BackfillCommand.class,
        ReconcileCommand.class,
        StatusCommand.class, MigrateCommand.class,
        PurgeTombstonesCommand.class, CommandLine.HelpCommand.class})
public final class OpsMain implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; failures print one readable line and exit non-zero. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new OpsMain());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("ops " + commandLine.getCommandName() + ": " + oneLine(e));
      return 1;
    });
    return cli;
  }

  private static String oneLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getMessage() == null) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.replace('\n', ' ');
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
