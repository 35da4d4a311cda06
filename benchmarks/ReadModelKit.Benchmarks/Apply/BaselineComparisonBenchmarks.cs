using BenchmarkDotNet.Attributes;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// The two baselines every apply scenario is measured against in the same run: the seeds' one-transaction-per-event
/// pattern (the marked baseline, so BenchmarkDotNet's Ratio is "time per event relative to it") and the raw binary COPY ceiling.
/// </summary>
public abstract class BaselineComparisonBenchmarks : ApplyBenchmarkBase
{
    private ProjectedRows _rows = null!;

    protected ProjectedRows Rows => _rows;

    /// <summary>One transaction per event: inbox insert, then guarded upsert, commit.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public Task<int> PerEventTransactions() =>
        PerEventBaseline.RunAsync(Database.DataSource, Database.Projection, BenchDatabase.LibrarySchema, BenchDatabase.Table, Workload);

    /// <summary>Binary COPY of the same inbox rows and read-model rows.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public Task<ulong> BinaryCopy() => BinaryCopyCeiling.RunAsync(Database.DataSource, Database.ProjectionName, _rows, inbox: true);

    [GlobalSetup]
    public async Task GlobalSetupAsync()
    {
        await StartDatabaseAsync();
        Workload = ApplyWorkload.Create(EventIdKind.Random, firstCaseId: 1, DateTimeOffset.UtcNow);
        _rows = ProjectedRows.From(Database.Projection, Workload);
    }

    /// <summary>Every iteration starts from empty tables (read model, inbox, COPY targets) and checkpoint 0, so every invocation does the same work.</summary>
    [IterationSetup]
    public void IterationSetup() => Database.ResetAsync(inbox: true).GetAwaiter().GetResult();
}
