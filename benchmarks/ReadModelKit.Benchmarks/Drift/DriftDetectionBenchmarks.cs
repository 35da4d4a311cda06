using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Benchmarks.Drift;

/// <summary>
/// Drift detection over 1M-row tables, with no drift and with 0.1% drift, against the baseline an operator would write by hand:
/// one FULL JOIN … IS DISTINCT FROM query over the whole table. Same-database detection joins key-range chunks in one snapshot;
/// cross-database detection hashes blocks on a separate source database and the read-model database (same server here).
/// Every method returns the number of differing rows it found (1,000 with drift).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class DriftDetectionBenchmarks
{
    private DriftBenchmarkData _data = null!;
    private NpgsqlReadModelStore _store = null!;
    private DriftReconciler _crossDatabase = null!;

    /// <summary>Whether the read model has drifted (0.1% of its rows) or not.</summary>
    [Params(false, true)]
    public bool Drifted { get; set; }

    private string Projection => DriftBenchmarkData.Table(Drifted);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _data = await DriftBenchmarkData.OpenAsync();
        _store = await _data.StoreAsync();
        _crossDatabase = new DriftReconciler(_store, _data.Source);
        using var bytes = new NpgsqlBytesRead();
        foreach (var (name, check) in new (string, Func<Task<long>>)[]
        {
            ("naive full join", NaiveFullJoinAsync),
            ("same database, hash chunks", () => CheckAsync(_store.Drift)),
            ("cross database, block hashing", () => CheckAsync(_crossDatabase)),
        })
        {
            var before = bytes.Total;
            var found = await check();
            Console.WriteLine($"// transfer {Projection}: {name} found {found} row(s); Npgsql read {bytes.Total - before:N0} byte(s) from the server(s)");
        }

        foreach (var drift in new[] { _store.Drift, _crossDatabase })
        {
            Console.WriteLine("// " + (await drift.CheckAsync(Projection, Options(parallelWorkers: 0))).ToString().Replace("\n", "\n// ", StringComparison.Ordinal));
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _data.DisposeAsync();

    /// <summary>The hand-written baseline: one FULL JOIN of the recompute query with the live rows, returning the differing rows.</summary>
    [Benchmark(Baseline = true)]
    public Task<long> NaiveFullJoin() => NaiveFullJoinAsync();

    [Benchmark]
    public Task<long> SameDatabaseChunked() => CheckAsync(_store.Drift);

    [Benchmark]
    public Task<long> CrossDatabaseBlockHash() => CheckAsync(_crossDatabase);

    /// <summary>The same-database check with the server's parallel workers per statement (<see cref="DriftCheckOptions.MaxParallelWorkers"/> null).</summary>
    [Benchmark]
    public Task<long> SameDatabaseServerWorkers() => CheckAsync(_store.Drift, parallelWorkers: null);

    /// <summary>The cross-database check with the server's parallel workers per statement.</summary>
    [Benchmark]
    public Task<long> CrossDatabaseServerWorkers() => CheckAsync(_crossDatabase, parallelWorkers: null);

    private async Task<long> CheckAsync(DriftReconciler drift, int? parallelWorkers = 0)
    {
        var report = await drift.CheckAsync(Projection, Options(parallelWorkers));
        return report.Total;
    }

    private static DriftCheckOptions Options(int? parallelWorkers) => new() { RecordIncidents = false, MaxSamples = 0, MaxParallelWorkers = parallelWorkers };

    private async Task<long> NaiveFullJoinAsync()
    {
        await using var command = _data.ReadModel.CreateCommand($"""
            SELECT coalesce(e.tenant_id, a.tenant_id), coalesce(e.case_id, a.case_id),
                   CASE WHEN a.tenant_id IS NULL THEN 'missing' WHEN e.tenant_id IS NULL THEN 'extra' ELSE 'changed' END,
                   to_jsonb(e), to_jsonb(a)
            FROM ({DriftBenchmarkData.RecomputeSql}) AS e
            FULL JOIN (SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_bench.{Projection} WHERE deleted_at IS NULL) AS a
              ON e.tenant_id = a.tenant_id AND e.case_id = a.case_id
            WHERE e.tenant_id IS NULL OR a.tenant_id IS NULL
               OR ROW(e.status, e.title, e.amount, e.updated_at) IS DISTINCT FROM ROW(a.status, a.title, a.amount, a.updated_at)
            """);
        await using var reader = await command.ExecuteReaderAsync();
        long rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
        }

        return rows;
    }
}
