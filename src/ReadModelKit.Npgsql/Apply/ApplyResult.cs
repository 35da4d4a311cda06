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
public readonly record struct ApplyResult(int Received, int Applied, int Duplicates, int RowsWritten, int DeadLettered, int Parked, StreamPosition Checkpoint);
