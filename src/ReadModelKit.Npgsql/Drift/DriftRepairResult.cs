namespace ReadModelKit.Npgsql.Drift;

/// <summary>What a drift repair did.</summary>
/// <param name="KeysRepaired">Keys recomputed from the source.</param>
/// <param name="RowsWritten">Read-model rows written or tombstoned (keys already right are not written again).</param>
/// <param name="IncidentsClosed">Open incidents marked repaired.</param>
/// <param name="Batches">Transactions used.</param>
public readonly record struct DriftRepairResult(long KeysRepaired, long RowsWritten, long IncidentsClosed, int Batches);
