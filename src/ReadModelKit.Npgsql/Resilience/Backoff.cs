namespace ReadModelKit.Npgsql.Resilience;

/// <summary>
/// Retry delays that double from a first delay up to a cap, each drawn between half and all of that step ("equal jitter"),
/// so nodes that failed together do not retry together.
/// </summary>
internal static class Backoff
{
    /// <summary>The delay before retry number <paramref name="attempt"/> (0 for the first retry).</summary>
    /// <param name="first">The step of the first retry.</param>
    /// <param name="cap">The largest step.</param>
    /// <param name="attempt">How many retries came before this one.</param>
    public static TimeSpan Delay(TimeSpan first, TimeSpan cap, int attempt)
    {
        var step = first.Ticks * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(step, cap.Ticks);
        return TimeSpan.FromTicks((long)(capped / 2 + Random.Shared.NextDouble() * capped / 2));
    }
}
