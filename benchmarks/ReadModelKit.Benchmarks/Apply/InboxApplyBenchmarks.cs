using BenchmarkDotNet.Attributes;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// Inbox mode (any source, dedupe by event id) at batch sizes 100, 1000 and 5000, against the per-event baseline
/// and the COPY ceiling. Targets: batch 1000 at least 15x the per-event baseline and at least 30% of COPY.
/// </summary>
public class InboxApplyBenchmarks : BaselineComparisonBenchmarks
{
    [Benchmark(OperationsPerInvoke = Events)]
    public Task<int> InboxBatch100() => ApplyInBatchesAsync(100);

    [Benchmark(OperationsPerInvoke = Events)]
    public Task<int> InboxBatch1000() => ApplyInBatchesAsync(1000);

    [Benchmark(OperationsPerInvoke = Events)]
    public Task<int> InboxBatch5000() => ApplyInBatchesAsync(5000);
}
