package io.s3index.shared.failure;

import java.sql.SQLException;
import java.util.Set;

/**
 * The one place that decides what a failure means, for the indexer, the enricher and the API.
 *
 * <ul>
 *   <li>{@link Kind#DATA}: the database refused the values of the statement (SQLSTATE classes 22
 *       data exception, 23 integrity constraint violation, 54 program limit exceeded such as an
 *       index row too large). Retrying the same values fails the same way: find the record that
 *       carries them, set it aside, and go on.
 *   <li>{@link Kind#TRANSIENT}: everything else — the connection lost or refused (class 08), the
 *       server shutting down or restarting (57P01–57P03), too many connections and other missing
 *       resources (53), serialization failures and deadlocks (40), a statement timeout (57014),
 *       the broker away — and anything not recognised. Back off and retry: an unknown failure is
 *       retried rather than dropped, because a stuck partition shows in health and metrics while
 *       a dropped event shows nowhere.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class Failures {

  /** What to do about a failure. */
  public enum Kind {
    /** Retry the same work after a pause. */
    TRANSIENT,
    /** The data cannot be written; isolate and set aside the record that carries it. */
    DATA
  }

  private static final Set<String> DATA_CLASSES = Set.of("22", "23", "54");

  private Failures() {}

  /** Classifies a failure by the first SQLSTATE in its cause chain. */
  public static Kind classify(Throwable failure) {
    String state = sqlState(failure);
    if (state != null && state.length() == 5 && DATA_CLASSES.contains(state.substring(0, 2))) {
      return Kind.DATA;
    }
    return Kind.TRANSIENT;
  }

  /** True if the failure is the database refusing one statement's values. */
  public static boolean isDataError(Throwable failure) {
    return classify(failure) == Kind.DATA;
  }

  /** True if the failure is a statement cancelled by its timeout (SQLSTATE 57014). */
  public static boolean isStatementTimeout(Throwable failure) {
    return "57014".equals(sqlState(failure));
  }

  /** The first SQLSTATE in the cause chain, or null when no SQL exception carries one. */
  public static String sqlState(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return sql.getSQLState();
      }
    }
    return null;
  }

  /** The database's own message for a data error, without the statement or its values. */
  public static String describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String message = sql.getMessage() == null ? "" : sql.getMessage();
        int detail = message.indexOf('\n');
        return "SQLSTATE " + sql.getSQLState() + ": " + (detail < 0 ? message : message.substring(0, detail));
      }
    }
    return failure.toString();
  }
}
