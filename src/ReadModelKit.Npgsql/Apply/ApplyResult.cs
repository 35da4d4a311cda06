using ReadModelKit.Events;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>What one applied batch did.</summary>
/// <param name="Received">Events handed in.</param>
/// <param name="Applied">Events that were new and were projected.</param>
/// <param name="Duplicates">Events ignored because they were already applied (inbox hit or position at or before the checkpoint).</param>
/// <param name="RowsWritten">Read-model rows inserted, updated, tombstoned or recomputed (older versions write nothing).</param>
/// <param name="DeadLettered">Events that kept failing and were dead-lettered.</param>
/// <param name="Parked">Events held back behind a dead-lettered event of the same ordering key.</param>
/// <param name="Checkpoint">The checkpoint position after the batch.</param>
public readonly record struct ApplyResult(int Received, int Applied, int Duplicates, int RowsWritten, int DeadLettered, int Parked, StreamPosition Checkpoint)
{
    private readonly IReadOnlyList<Guid>? _released;

    /// <summary>
    /// Parked events a skip released without applying them, because their payload could be restored from nowhere (its personal data
    /// was stored as digests and the outbox no longer holds the event). They have no inbox row: re-deliver them from their source.
    /// Empty for every other result.
    /// </summary>
    public IReadOnlyList<Guid> Released
    {
        get => _released ?? [];
        init => _released = value;
    }
}
