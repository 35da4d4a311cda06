using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The mapping's recompute query cannot fill a new version safely while live events flow (the commute rule: rows carry the source's
/// version, deletes are versioned tombstones), or it does not run. Found at planning time; nothing was created.
/// </summary>
public sealed class RecomputeQueryCannotBackfillException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="reason">What is wrong and what to change.</param>
    /// <param name="innerException">The database error, if the query failed.</param>
    public RecomputeQueryCannotBackfillException(string projectionName, string reason, Exception? innerException = null)
        : base($"Projection '{projectionName}' cannot be rebuilt by backfill: {reason}", projectionName, innerException)
    {
        Reason = reason;
    }

    /// <summary>What is wrong and what to change.</summary>
    public string Reason { get; }
}
