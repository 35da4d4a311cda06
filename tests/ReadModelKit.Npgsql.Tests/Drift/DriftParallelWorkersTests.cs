using System.Collections.Concurrent;
using Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>A check's transactions run with the parallel-worker limit of <see cref="DriftCheckOptions.MaxParallelWorkers"/>, in both strategies.</summary>
public sealed class DriftParallelWorkersTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Theory]
    [InlineData("workers_default", false, null, "0")]
    [InlineData("workers_three", true, 3, "3")]
    [InlineData("workers_server", true, null, "2")]
    public async Task The_statements_and_position_reads_of_a_check_see_the_configured_worker_limit(string table, bool configure, int? workers, string seen)
    {
        // The connections ask for 2 workers per statement (as a server's default would), so leaving the setting alone is visible.
        // The recompute query reports the setting it runs under, against '0' in the read model; the position readers record it on
        // the connections they run on (the read-model and the source connection of a cross-database check).
        await fx.ExecuteSourceAsync($"CREATE TABLE {table}_src (id int8 PRIMARY KEY); INSERT INTO {table}_src SELECT g FROM generate_series(1, 50) g");
        await fx.ExecuteAsync($"CREATE TABLE {table}_rm (id int8 PRIMARY KEY, setting text, version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        await fx.ExecuteAsync($"INSERT INTO {table}_rm (id, setting) SELECT g, '0' FROM generate_series(1, 50) g");
        const string withTwoWorkers = "-c max_parallel_workers_per_gather=2";
        await using var readModel = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fx.ServerConnectionString) { SearchPath = fx.Schema, Options = withTwoWorkers }.ConnectionString);
        await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fx.ServerConnectionString) { Database = fx.SourceDatabase, SearchPath = fx.SourceSchema, Options = withTwoWorkers }.ConnectionString);
        var store = await fx.StoreAsync(readModel, ("workers", new ReadModelTableMapping
        {
            Table = table + "_rm",
            KeyColumns = ["id"],
            ValueColumns = ["setting"],
            RecomputeSql = $"SELECT id, current_setting('max_parallel_workers_per_gather') AS setting FROM {fx.SourceTable(table + "_src")}",
        }));

        foreach (var (strategy, drift) in new[] { ("same database", store.Drift), ("cross database", new DriftReconciler(store, source)) })
        {
            var settings = new ConcurrentBag<string>();
            var report = await drift.CheckAsync("workers", Options(o =>
            {
                o.SameDatabase.ChunkSize = 4;
                if (configure)
                {
                    o.MaxParallelWorkers = workers;
                }

                o.SourcePosition = (connection, ct) => RecordAsync(connection, settings, ct);
                o.ProjectionPosition = (connection, ct) => RecordAsync(connection, settings, ct);
            }));

            Assert.True(settings.Count >= 2 && settings.All(s => s == seen), $"{strategy}: position reads saw {string.Join(", ", settings)}, expected {seen}");
            Assert.True(report.Changed == (seen == "0" ? 0 : 50) && report.Total == report.Changed, $"{strategy}: {report.Changed} changed row(s) of {report.Total}");
            Assert.All(report.Samples, d => Assert.Contains($"\"{seen}\"", d.Expected, StringComparison.Ordinal));
        }
    }

    private static async Task<long> RecordAsync(NpgsqlConnection connection, ConcurrentBag<string> settings, CancellationToken cancellationToken)
    {
        await using var show = new NpgsqlCommand("SHOW max_parallel_workers_per_gather", connection);
        settings.Add((string)(await show.ExecuteScalarAsync(cancellationToken))!);
        return 0;
    }
}
