using ReadModelKit.Events;
using ReadModelKit.Lifecycle;

namespace ReadModelKit.Npgsql.Freshness;

/// <summary>The checkpoint (watermark) of one partition of a projection, and what is still pending for it.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Position">The checkpoint: for an outbox source, the id of the last transaction fully applied.</param>
/// <param name="LastSourceTime">The source time of the newest event applied.</param>
/// <param name="ProjectedAt">When the partition last applied a batch.</param>
/// <param name="State">The lifecycle state the runner last recorded.</param>
/// <param name="LastError">The last error the runner recorded, or null.</param>
/// <param name="UpdatedAt">When the checkpoint last moved.</param>
/// <param name="PendingEvents">Committed outbox events not yet applied (0 for other sources).</param>
/// <param name="HeldBackEvents">Of those, the ones waiting behind an older transaction that is still running.</param>
/// <param name="OldestPendingAt">The source time of the oldest pending event, or null when nothing is pending.</param>
/// <param name="Owner">The node holding the partition's lease, or null.</param>
/// <param name="LeaseExpiresAt">When that lease expires (database clock), or null.</param>
/// <param name="LeaseLive">Whether a node holds an unexpired lease on the partition.</param>
public sealed record PartitionStatus(
    int Partition,
    StreamPosition Position,
    DateTimeOffset? LastSourceTime,
    DateTimeOffset? ProjectedAt,
    ProjectionState State,
    string? LastError,
    DateTimeOffset UpdatedAt,
    long PendingEvents,
    long HeldBackEvents,
    DateTimeOffset? OldestPendingAt,
    string? Owner,
    DateTimeOffset? LeaseExpiresAt,
    bool LeaseLive);
