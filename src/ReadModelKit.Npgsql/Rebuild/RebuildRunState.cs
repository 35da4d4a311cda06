namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Where a rebuild run is. The happy path is Planned → Backfilling → CatchingUp → Validating → Ready → CutOver → Retired
/// (a rebuild by outbox replay: Planned → Replaying → Validating → …); Failed, Cancelled and RolledBack end a run early. Until it ends, a run is the projection's only active run.
/// </summary>
public enum RebuildRunState
{
    /// <summary>The new version's table exists and receives live writes; no chunk has been backfilled yet.</summary>
    Planned,

    /// <summary>Chunks of the recompute query are being written into the new version.</summary>
    Backfilling,

    /// <summary>The outbox is replayed from its start into the new version under the run's own checkpoints, while live writes keep reaching it.</summary>
    Replaying,

    /// <summary>The backfill reached the last key; live writes keep flowing into both versions.</summary>
    CatchingUp,

    /// <summary>The gate runs (or ran and failed: see <see cref="RebuildRun.GateReport"/>); cutover is refused until it passes.</summary>
    Validating,

    /// <summary>The gate passed; cutover is allowed.</summary>
    Ready,

    /// <summary>The stable view serves the new version; the old one keeps receiving live writes for the grace period, so a rollback is instant.</summary>
    CutOver,

    /// <summary>The old version no longer receives writes (its table dropped or kept by option). Terminal.</summary>
    Retired,

    /// <summary>The run stopped on an error that a retry cannot fix (see <see cref="RebuildRun.Error"/>); the new version is no longer fed. Terminal.</summary>
    Failed,

    /// <summary>Cancelled before cutover; the new version is no longer fed. Terminal.</summary>
    Cancelled,

    /// <summary>The view was pointed back at the old version after a cutover; the new version is no longer fed. Terminal.</summary>
    RolledBack,
}
