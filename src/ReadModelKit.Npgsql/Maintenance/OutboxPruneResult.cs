using ReadModelKit.Events;

namespace ReadModelKit.Npgsql.Maintenance;

/// <summary>What one prune of an outbox stream did.</summary>
/// <param name="Stream">The stream.</param>
/// <param name="PrunableUpTo">The position every reader has passed (events at or before it, and older than the minimum age, were deleted).</param>
/// <param name="HeldBy">What set <paramref name="PrunableUpTo"/>: the slowest projection partition or retention hold.</param>
/// <param name="Deleted">Events deleted.</param>
/// <param name="Batches">Delete transactions run.</param>
public readonly record struct OutboxPruneResult(string Stream, StreamPosition PrunableUpTo, string HeldBy, long Deleted, int Batches);
