package io.s3index.ops.tools;

import io.s3index.shared.db.Database;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ops migrate}: applies pending schema migrations. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = "Apply pending schema migrations to the index database (the indexer also does at start).")
public final class MigrateCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Override
  public Integer call() {
    try (Database database = connections.openDatabase()) {
      int applied = database.migrate();
      String version = database.jdbi().withHandle(h -> h.createQuery(
          "SELECT max(version::int)::text FROM flyway_schema_history WHERE success").mapTo(String.class).one());
      spec.commandLine().getOut().println(applied == 0
          ? "schema is up to date (version " + version + ")"
          : "applied " + applied + " migration(s); schema version " + version);
    }
    return 0;
  }
}
