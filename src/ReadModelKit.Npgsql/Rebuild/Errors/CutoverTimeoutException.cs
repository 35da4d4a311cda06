using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Repointing the stable view could not get its lock within the lock timeout on any attempt (long-running queries or transactions hold the
/// view). Nothing was switched; readers were never queued for longer than one lock timeout.
/// </summary>
public sealed class CutoverTimeoutException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="view">The stable view.</param>
    /// <param name="attempts">How many attempts were made.</param>
    /// <param name="lockTimeout">The lock timeout of each attempt.</param>
    /// <param name="innerException">The last lock timeout error.</param>
    public CutoverTimeoutException(string projectionName, string view, int attempts, TimeSpan lockTimeout, Exception innerException)
        : base($"Could not switch view {view} of projection '{projectionName}' in {attempts} attempt(s) of {lockTimeout.TotalMilliseconds:0} ms each: long-running queries or open transactions hold it. Find them (SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE xact_start < now() - interval '1 minute'), end them or wait, then call the switch again; or raise RebuildOptions.CutoverAttempts. Nothing was switched.", projectionName, innerException)
    {
        View = view;
        Attempts = attempts;
    }

    /// <summary>The stable view.</summary>
    public string View { get; }

    /// <summary>How many attempts were made.</summary>
    public int Attempts { get; }
}
