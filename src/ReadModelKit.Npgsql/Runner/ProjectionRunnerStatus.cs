using ReadModelKit.Npgsql.Leases;

namespace ReadModelKit.Npgsql.Runner;

/// <summary>What one runner instance has done since it started (in-process counters; the database view is <c>store.Freshness.GetStatusAsync</c>).</summary>
/// <param name="NodeId">The node id.</param>
/// <param name="Running">Whether <see cref="ProjectionRunner.RunAsync"/> is running.</param>
/// <param name="Owned">The partitions the node holds now.</param>
/// <param name="Batches">Batches committed.</param>
/// <param name="EventsApplied">Events applied (new to the projection) by those batches.</param>
/// <param name="LeasesLost">Times a lease was found lost (by a heartbeat or by the fence inside a batch).</param>
/// <param name="FencedBatches">Batches the fence rejected because the lease had been lost (nothing of them was written).</param>
/// <param name="CheckpointConflicts">Batches rolled back because the checkpoint had moved underneath them (re-read and continued).</param>
/// <param name="Errors">Failed attempts (retried).</param>
/// <param name="LastError">The last error, or null.</param>
public sealed record ProjectionRunnerStatus(
    string NodeId,
    bool Running,
    IReadOnlyList<PartitionLease> Owned,
    long Batches,
    long EventsApplied,
    long LeasesLost,
    long FencedBatches,
    long CheckpointConflicts,
    long Errors,
    string? LastError);
