package io.s3index.testing;

import io.s3index.shared.db.DatabaseConfig;

/** A PostgreSQL server the tests share (embedded or a container); tests isolate themselves by database. */
public interface PostgresServer {

  /** Creates a database (if absent) and returns how to reach it as a user that owns it. */
  DatabaseConfig createDatabase(String name);
}
