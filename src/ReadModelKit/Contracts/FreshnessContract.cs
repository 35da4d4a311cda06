namespace ReadModelKit.Contracts;

/// <summary>How far behind its source a projection may be.</summary>
/// <param name="ExpectedLag">The lag in normal operation (the target, for example 5 s).</param>
/// <param name="MaxLag">The largest tolerated lag; beyond it the projection is stale (for example 30 s).</param>
public sealed record FreshnessContract(TimeSpan ExpectedLag, TimeSpan MaxLag)
{
    /// <summary>5 seconds expected, 30 seconds tolerated: the seeds' example for a case list.</summary>
    public static FreshnessContract Default { get; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
}
