using BenchmarkDotNet.Attributes;
using ReadModelKit.Contracts;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// Checkpoint mode (ordered source: no inbox rows, the checkpoint compare-and-set in the same transaction is the dedupe),
/// against the per-event baseline and two COPY ceilings: the same inbox + read-model rows as the other scenarios, and the
/// stricter read-model rows only (what checkpoint mode itself writes). Target: at least 50% of COPY.
/// </summary>
public class CheckpointApplyBenchmarks : BaselineComparisonBenchmarks
{
    protected override IdempotencyMode Mode => IdempotencyMode.Checkpoint;

    /// <summary>Binary COPY of the read-model rows only.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public Task<ulong> BinaryCopyRowsOnly() => BinaryCopyCeiling.RunAsync(Database.DataSource, Database.ProjectionName, Rows, inbox: false);

    [Benchmark(OperationsPerInvoke = Events)]
    public Task<int> CheckpointBatch1000() => ApplyInBatchesAsync(1000);

    [Benchmark(OperationsPerInvoke = Events)]
    public Task<int> CheckpointBatch5000() => ApplyInBatchesAsync(5000);
}
