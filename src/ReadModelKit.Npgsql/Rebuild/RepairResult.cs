namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>The outcome of a repair in place.</summary>
/// <param name="KeysChecked">Keys recomputed (source keys and read-model keys in scope).</param>
/// <param name="RowsWritten">Rows changed: upserted under the version guard, or tombstoned because the source no longer has them.</param>
/// <param name="Batches">Batches (transactions) run.</param>
/// <param name="LastKey">The last key done (each key column as text): pass it as <c>resumeAfter</c> to continue an interrupted repair; null when none.</param>
public sealed record RepairResult(long KeysChecked, long RowsWritten, int Batches, IReadOnlyList<string>? LastKey);
