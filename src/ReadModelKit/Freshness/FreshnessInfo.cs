using System.Text.Json.Serialization;
using ReadModelKit.Contracts;
using ReadModelKit.Lifecycle;

namespace ReadModelKit.Freshness;

/// <summary>
/// The freshness block an API returns beside read-model data (seed 000 §14):
/// <c>{"projectedAt":…,"sourceWatermark":…,"maxStalenessSeconds":30,"lagSeconds":…,"stale":false,"state":"Live"}</c>.
/// </summary>
public sealed record FreshnessInfo
{
    /// <summary>When the projection last applied a change.</summary>
    [JsonPropertyName("projectedAt")]
    public DateTimeOffset? ProjectedAt { get; init; }

    /// <summary>The source time of the newest event the projection has applied.</summary>
    [JsonPropertyName("sourceWatermark")]
    public DateTimeOffset? SourceWatermark { get; init; }

    /// <summary>The contract's maximum lag in seconds.</summary>
    [JsonPropertyName("maxStalenessSeconds")]
    public double MaxStalenessSeconds { get; init; }

    /// <summary>How far behind the source the projection is, in seconds; <see langword="null"/> before the first event.</summary>
    [JsonPropertyName("lagSeconds")]
    public double? LagSeconds { get; init; }

    /// <summary>Whether the lag exceeds the maximum (or the projection has never projected anything, or cannot be trusted in its state).</summary>
    [JsonPropertyName("stale")]
    public bool Stale { get; init; }

    /// <summary>The projection's lifecycle state.</summary>
    [JsonPropertyName("state")]
    public ProjectionState State { get; init; }

    /// <summary>
    /// Computes the freshness block. The lag is the age of the newest unapplied source event when known
    /// (<paramref name="oldestPendingAt"/>), else zero when nothing is pending.
    /// </summary>
    /// <param name="freshness">The contract's freshness.</param>
    /// <param name="state">The projection's lifecycle state.</param>
    /// <param name="projectedAt">When the projection last applied a change.</param>
    /// <param name="sourceWatermark">The source time of the newest applied event.</param>
    /// <param name="oldestPendingAt">The source time of the oldest event not yet applied, or <see langword="null"/> when the projection is caught up.</param>
    /// <param name="now">The current time (from a <see cref="TimeProvider"/>).</param>
    public static FreshnessInfo Compute(
        FreshnessContract freshness,
        ProjectionState state,
        DateTimeOffset? projectedAt,
        DateTimeOffset? sourceWatermark,
        DateTimeOffset? oldestPendingAt,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(freshness);
        double? lag = oldestPendingAt is { } pending
            ? Math.Max(0, (now - pending).TotalSeconds)
            : projectedAt is null ? null : 0;
        var untrustworthy = state is ProjectionState.Faulted or ProjectionState.Stale or ProjectionState.Retired;
        var stale = untrustworthy || lag is null || lag > freshness.MaxLag.TotalSeconds;
        return new FreshnessInfo
        {
            ProjectedAt = projectedAt,
            SourceWatermark = sourceWatermark,
            MaxStalenessSeconds = freshness.MaxLag.TotalSeconds,
            LagSeconds = lag,
            Stale = stale,
            State = state,
        };
    }
}
