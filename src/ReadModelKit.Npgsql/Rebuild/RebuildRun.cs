using ReadModelKit.Contracts;
using ReadModelKit.Lifecycle;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>A durable rebuild run as the database holds it.</summary>
public sealed record RebuildRun
{
    /// <summary>The run's id.</summary>
    public required long Id { get; init; }

    /// <summary>The projection being rebuilt.</summary>
    public required string ProjectionName { get; init; }

    /// <summary>The version serving when the run started.</summary>
    public required int FromVersion { get; init; }

    /// <summary>The version being built (its table is <c>&lt;table&gt;_v&lt;ToVersion&gt;</c>).</summary>
    public required int ToVersion { get; init; }

    /// <summary>How the new version is filled.</summary>
    public required RebuildMethod Method { get; init; }

    /// <summary>Where the run is.</summary>
    public required RebuildRunState State { get; init; }

    /// <summary>The last key backfilled (each key column as text), or null before the first chunk: a resumed run continues after it.</summary>
    public IReadOnlyList<string>? LastKey { get; init; }

    /// <summary>Rows the backfill has read from the recompute query so far.</summary>
    public long RowsDone { get; init; }

    /// <summary>The planner's estimate of the recompute query's rows, or null when unknown.</summary>
    public long? EstimatedRows { get; init; }

    /// <summary>The node holding the run's lease, or null.</summary>
    public string? Owner { get; init; }

    /// <summary>Whether the last gate passed, or null when none ran.</summary>
    public bool? GatePassed { get; init; }

    /// <summary>The last gate's report (what passed, what failed and why), or null.</summary>
    public string? GateReport { get; init; }

    /// <summary>The last error the run met, or null.</summary>
    public string? Error { get; init; }

    /// <summary>When the run was planned.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the backfill started, or null.</summary>
    public DateTimeOffset? BackfillStartedAt { get; init; }

    /// <summary>When the view was switched to the new version, or null.</summary>
    public DateTimeOffset? CutOverAt { get; init; }

    /// <summary>When the run ended (retired, failed, cancelled, rolled back), or null.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Whether the run still holds the projection's single active slot.</summary>
    public bool IsActive => State is not (RebuildRunState.Retired or RebuildRunState.Failed or RebuildRunState.Cancelled or RebuildRunState.RolledBack);

    /// <summary>The lifecycle state the run puts the projection's new version in: <see cref="ProjectionState.Rebuilding"/> until it is ready.</summary>
    public ProjectionState Lifecycle => LifecycleOf(State);

    /// <summary>The lifecycle state a run in <paramref name="state"/> puts the projection in.</summary>
    internal static ProjectionState LifecycleOf(RebuildRunState state) => state switch
    {
        RebuildRunState.Planned or RebuildRunState.Backfilling or RebuildRunState.CatchingUp or RebuildRunState.Validating => ProjectionState.Rebuilding,
        RebuildRunState.Retired => ProjectionState.Retired,
        RebuildRunState.Failed => ProjectionState.Faulted,
        _ => ProjectionState.Live,
    };
}
