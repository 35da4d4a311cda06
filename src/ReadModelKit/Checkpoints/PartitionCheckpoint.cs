using ReadModelKit.Events;
using ReadModelKit.Lifecycle;

namespace ReadModelKit.Checkpoints;

/// <summary>The stored checkpoint of one partition of a checkpoint set.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Position">Everything of the partition at or before this position has been applied or dead-lettered.</param>
/// <param name="LastSourceTime">The source time of the newest event applied, or null.</param>
/// <param name="ProjectedAt">When the partition last applied a batch, or null.</param>
/// <param name="State">The lifecycle state last recorded.</param>
/// <param name="LastError">The last error recorded, or null.</param>
/// <param name="UpdatedAt">When the row last changed.</param>
public sealed record PartitionCheckpoint(
    int Partition,
    StreamPosition Position,
    DateTimeOffset? LastSourceTime,
    DateTimeOffset? ProjectedAt,
    ProjectionState State,
    string? LastError,
    DateTimeOffset UpdatedAt);
