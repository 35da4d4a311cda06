using ReadModelKit.Lifecycle;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>A projection's active rebuild run as its status shows it (<see cref="Freshness.ProjectionStatus.RebuildInProgress"/>).</summary>
/// <param name="RunId">The run.</param>
/// <param name="State">Where the run is.</param>
/// <param name="RowsDone">Rows backfilled so far.</param>
public readonly record struct ActiveRebuild(long RunId, RebuildRunState State, long RowsDone)
{
    /// <summary><see cref="ProjectionState.Rebuilding"/> from planning until the gate passed, then <see cref="ProjectionState.Live"/>.</summary>
    public ProjectionState Lifecycle => RebuildRun.LifecycleOf(State);
}
