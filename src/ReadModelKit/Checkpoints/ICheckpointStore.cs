using ReadModelKit.Events;
using ReadModelKit.Lifecycle;

namespace ReadModelKit.Checkpoints;

/// <summary>
/// The one owner of checkpoints: creates, reads, advances (compare-and-set, fenced by a lease) and records the state of the
/// partitions of a <see cref="CheckpointSet"/>. Every other component (appliers, runners, dead-letter replay, rebuilds) goes
/// through it; none writes checkpoints itself. A checkpoint never moves backwards.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Creates the checkpoints of partitions 0..<paramref name="partitionCount"/>-1 at the start of the stream; existing ones are kept.</summary>
    /// <param name="set">The checkpoint set.</param>
    /// <param name="partitionCount">How many partitions the set has (at least 1).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task EnsureAsync(CheckpointSet set, int partitionCount, CancellationToken cancellationToken = default);

    /// <summary>The checkpoint of one partition, or null when it was never created.</summary>
    /// <param name="set">The checkpoint set.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<PartitionCheckpoint?> LoadAsync(CheckpointSet set, int partition, CancellationToken cancellationToken = default);

    /// <summary>Every partition's checkpoint of the set, by partition.</summary>
    /// <param name="set">The checkpoint set.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<PartitionCheckpoint>> ListAsync(CheckpointSet set, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a partition's checkpoint from <paramref name="expected"/> to <paramref name="to"/> without applying events (the caller
    /// knows no event of the partition lies in between), if the fence's lease is still held.
    /// </summary>
    /// <param name="set">The checkpoint set.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="expected">Where the caller read the checkpoint.</param>
    /// <param name="to">The new position; must not be before <paramref name="expected"/>.</param>
    /// <param name="fence">The lease the caller holds on the partition.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="to"/> is before <paramref name="expected"/>.</exception>
    Task<CheckpointWrite> AdvanceAsync(CheckpointSet set, int partition, StreamPosition expected, StreamPosition to, CheckpointFence fence, CancellationToken cancellationToken = default);

    /// <summary>Records a partition's lifecycle state and last error (null clears it), if the fence's lease is still held. The position is untouched.</summary>
    /// <param name="set">The checkpoint set.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="state">The state to record.</param>
    /// <param name="lastError">The error to record, or null.</param>
    /// <param name="fence">The lease the caller holds on the partition.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<CheckpointWrite> RecordStateAsync(CheckpointSet set, int partition, ProjectionState state, string? lastError, CheckpointFence fence, CancellationToken cancellationToken = default);
}
