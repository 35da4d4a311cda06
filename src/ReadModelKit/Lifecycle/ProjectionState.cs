namespace ReadModelKit.Lifecycle;

/// <summary>The lifecycle states of a projection (seed 004 §10: derived state has a lifecycle too).</summary>
public enum ProjectionState
{
    /// <summary>Behind its source and applying the backlog; the initial state.</summary>
    CatchingUp,

    /// <summary>Within its expected lag and applying events as they arrive.</summary>
    Live,

    /// <summary>Behind its source by more than the contract's maximum lag.</summary>
    Stale,

    /// <summary>Stopped by an error that retries did not clear (or a Halt failure policy).</summary>
    Faulted,

    /// <summary>Stopped on purpose by an operator.</summary>
    Paused,

    /// <summary>Being rebuilt into a new version from its source.</summary>
    Rebuilding,

    /// <summary>Replaced or decommissioned; terminal.</summary>
    Retired,
}
