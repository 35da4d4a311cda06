using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>A check's statements run with the parallel-worker limit of <see cref="DriftCheckOptions.MaxParallelWorkers"/>, on both sides and both strategies.</summary>
public sealed class DriftParallelWorkersTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Fact]
    public async Task Every_statement_of_a_check_sees_the_configured_worker_limit()
    {
        // The recompute query reports the setting it runs under; the read model holds '0', so any other value is drift on every row.
        await fx.ExecuteSourceAsync("CREATE TABLE workers_src (id int8 PRIMARY KEY); INSERT INTO workers_src SELECT g FROM generate_series(1, 50) g");
        await fx.ExecuteAsync("CREATE TABLE workers_rm (id int8 PRIMARY KEY, setting text, version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        await fx.ExecuteAsync("INSERT INTO workers_rm (id, setting) SELECT g, '0' FROM generate_series(1, 50) g");
        var store = await fx.StoreAsync(("workers", new ReadModelTableMapping
        {
            Table = "workers_rm",
            KeyColumns = ["id"],
            ValueColumns = ["setting"],
            RecomputeSql = $"SELECT id, current_setting('max_parallel_workers_per_gather') AS setting FROM {fx.SourceTable("workers_src")}",
        }));

        foreach (var (strategy, drift) in new[] { ("same database", store.Drift), ("cross database", new DriftReconciler(store, fx.Source)) })
        {
            var byDefault = await drift.CheckAsync("workers", Options(o => o.SameDatabase.ChunkSize = 4));
            var raised = await drift.CheckAsync("workers", Options(o => { o.SameDatabase.ChunkSize = 4; o.MaxParallelWorkers = 3; }));

            Assert.True(byDefault.Total == 0, $"{strategy}: {byDefault.Total} row(s) ran with a worker limit other than 0");
            Assert.Equal((50L, 50L), (raised.Changed, raised.Total));
            Assert.All(raised.Samples, d => Assert.Contains("\"3\"", d.Expected, StringComparison.Ordinal));
        }
    }
}
