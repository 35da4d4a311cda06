using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// A projection's <c>RecomputeSql</c> cannot serve as its expected state: it is not one valid query, names something the source database
/// lacks, fails on some source row, or returns a key more than once. The message says what to fix; <see cref="Exception.InnerException"/>
/// holds the database's error when there is one.
/// </summary>
public sealed class RecomputeSqlException : DriftCheckException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="projectionName">The projection whose query it is.</param>
    /// <param name="innerException">The database's error, if any.</param>
    public RecomputeSqlException(string message, string projectionName, Exception? innerException = null)
        : base(message, projectionName, innerException)
    {
    }

    /// <summary>
    /// Whether a database error is the query's own (bad SQL, a value that does not cast, a division by zero, a write in a read-only
    /// transaction) rather than the connection's or the server's (lost connection, cancellation, serialization failure, resources).
    /// </summary>
    internal static bool IsQueryError(PostgresException exception) =>
        exception.SqlState.Length == 5 && exception.SqlState[..2] is not ("08" or "40" or "53" or "55" or "57" or "58" or "XX");

    /// <summary>The recompute query failed while a check or repair ran it.</summary>
    internal static RecomputeSqlException Failed(string projectionName, PostgresException exception, bool repair) => new(
        $"The RecomputeSql of projection '{projectionName}' failed while the drift {(repair ? "repair" : "check")} ran it: {exception.MessageText} (SQLSTATE {exception.SqlState}). Fix the query or the source rows it cannot handle, then {(repair ? "repair" : "check")} again.",
        projectionName,
        exception);

    /// <summary>The recompute query returned <paramref name="key"/> (as text) more than once.</summary>
    internal static RecomputeSqlException DuplicateKey(string projectionName, string key) => new(
        $"The RecomputeSql of projection '{projectionName}' returns key {key} more than once: it must return one row per key. Group by the key columns (or use DISTINCT ON) so each key has exactly one expected row.",
        projectionName);
}
