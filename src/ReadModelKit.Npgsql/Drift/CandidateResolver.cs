namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Decides what a re-check says about a candidate: drift seen while the projection was behind its source may only be lag.
/// A candidate is re-checked after the projection has passed the source position read with it:
/// <list type="bullet">
/// <item>the key now agrees: it was lag (cleared);</item>
/// <item>it still differs and the re-check's own snapshot was caught up: real drift (confirmed);</item>
/// <item>it still differs the same way and the source row is unchanged: the projection has applied everything up to the position at
/// which that source row was read and still disagrees, so it is real drift (confirmed);</item>
/// <item>otherwise the source moved again: still a candidate for the next round.</item>
/// </list>
/// </summary>
internal static class CandidateResolver
{
    /// <summary>The verdict on one candidate after a re-check.</summary>
    public enum Verdict
    {
        /// <summary>The key agrees now: the difference was lag.</summary>
        Cleared,

        /// <summary>Real drift: record it.</summary>
        Confirmed,

        /// <summary>Undecided: check again.</summary>
        StillCandidate,
    }

    /// <summary>Judges one candidate.</summary>
    /// <param name="previous">The difference seen in the previous round.</param>
    /// <param name="current">The difference seen by the re-check, or null when the key agrees now.</param>
    /// <param name="recheckCaughtUp">Whether the re-check's projection position had reached its source position.</param>
    public static Verdict Judge(DriftDifference previous, DriftDifference? current, bool recheckCaughtUp)
    {
        ArgumentNullException.ThrowIfNull(previous);
        if (current is null)
        {
            return Verdict.Cleared;
        }

        if (recheckCaughtUp)
        {
            return Verdict.Confirmed;
        }

        return current.Kind == previous.Kind && string.Equals(current.Expected, previous.Expected, StringComparison.Ordinal)
            ? Verdict.Confirmed
            : Verdict.StillCandidate;
    }
}
