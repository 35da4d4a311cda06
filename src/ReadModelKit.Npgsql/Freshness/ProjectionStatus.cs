using ReadModelKit.Lifecycle;

namespace ReadModelKit.Npgsql.Freshness;

/// <summary>Everything the database says about how far a projection has got: per-partition checkpoints, pending events, leases.</summary>
public sealed record ProjectionStatus
{
    /// <summary>The projection.</summary>
    public required string ProjectionName { get; init; }

    /// <summary>
    /// The most severe state over the partitions (Faulted, then Paused, Rebuilding, Stale, CatchingUp, Live); Rebuilding also while a
    /// rebuild run is active and its gate has not passed (<see cref="RebuildInProgress"/>), though the serving version stays current.
    /// </summary>
    public required ProjectionState State { get; init; }

    /// <summary>The projection's active rebuild run (planned up to cut over), or null when none runs.</summary>
    public Rebuild.ActiveRebuild? RebuildInProgress { get; init; }

    /// <summary>The partitions, in order.</summary>
    public required IReadOnlyList<PartitionStatus> Partitions { get; init; }

    /// <summary>Committed outbox events not yet applied, over all partitions.</summary>
    public long PendingEvents => Partitions.Sum(p => p.PendingEvents);

    /// <summary>Whether <see cref="PendingEvents"/> stopped counting at its cap (there are at least that many).</summary>
    public bool PendingCapped { get; init; }

    /// <summary>Pending events waiting behind an older running transaction.</summary>
    public long HeldBackEvents => Partitions.Sum(p => p.HeldBackEvents);

    /// <summary>The source time of the oldest pending event, or null when the projection is caught up.</summary>
    public DateTimeOffset? OldestPendingAt => Partitions.Min(p => p.OldestPendingAt);

    /// <summary>When any partition last applied a batch.</summary>
    public DateTimeOffset? ProjectedAt => Partitions.Max(p => p.ProjectedAt);

    /// <summary>The source time of the newest applied event.</summary>
    public DateTimeOffset? SourceWatermark => Partitions.Max(p => p.LastSourceTime);

    /// <summary>The oldest running writing transaction of the cluster, or null when none runs.</summary>
    public WatermarkHolder? OldestWriter { get; init; }

    /// <summary>Runner nodes alive for the projection.</summary>
    public int LiveNodes { get; init; }

    /// <summary>When the status was read (the store's clock).</summary>
    public required DateTimeOffset ReadAt { get; init; }

    /// <summary>The lag: the age of the oldest pending event, zero when nothing is pending.</summary>
    public TimeSpan Lag => OldestPendingAt is { } oldest && ReadAt > oldest ? ReadAt - oldest : TimeSpan.Zero;
}
