namespace ReadModelKit.Contracts;

/// <summary>How a projection is rebuilt from scratch.</summary>
public enum RebuildMethod
{
    /// <summary>Replay the event stream from its start into the new version (an outbox stream; refused once events of it were pruned).</summary>
    ReplayEvents,

    /// <summary>Backfill from the canonical tables with the projection's recompute query.</summary>
    BackfillFromCanonicalTables,

    /// <summary>Load a source snapshot, then replay events after it.</summary>
    SnapshotThenReplay,

    /// <summary>The projection cannot be rebuilt. Allowed only for projections that are not rebuildable by design; validation warns via the design card.</summary>
    NotRebuildable,
}
