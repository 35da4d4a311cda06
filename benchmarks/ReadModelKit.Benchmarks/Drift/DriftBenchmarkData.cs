using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Testing.Postgres;
using ReadModelKit.Projections;

namespace ReadModelKit.Benchmarks.Drift;

/// <summary>
/// 1M-row case tables for the drift benchmarks, built once per server and reused by later benchmark processes: the source table
/// <c>drift_bench_src.cases</c> in the read-model database AND in a separate source database (<c>readmodelkit_drift_src</c>), and two read
/// models: <c>drift_bench.cases_clean</c> (no drift) and <c>drift_bench.cases_drift</c> (0.1% drift: 400 changed, 300 missing, 300 extra rows).
/// </summary>
internal sealed class DriftBenchmarkData : IAsyncDisposable
{
    public const int Rows = 1_000_000;
    private const string SourceDatabase = "readmodelkit_drift_src";
    private const string Ready = "drift_bench_ready_v1";

    private DriftBenchmarkData(ThrowawayPostgres server, NpgsqlDataSource readModel, NpgsqlDataSource source)
    {
        Server = server;
        ReadModel = readModel;
        Source = source;
    }

    public ThrowawayPostgres Server { get; }

    public NpgsqlDataSource ReadModel { get; }

    public NpgsqlDataSource Source { get; }

    public static string RecomputeSql => "SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_bench_src.cases";

    public static string Table(bool drifted) => drifted ? "cases_drift" : "cases_clean";

    public static async Task<DriftBenchmarkData> OpenAsync()
    {
        var server = await ThrowawayPostgres.StartAsync(Console.WriteLine);
        var readModel = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = "drift_bench", CommandTimeout = 600 }.ConnectionString);
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        {
            if (await ScalarAsync(admin, $"SELECT count(*) FROM pg_database WHERE datname = '{SourceDatabase}'") == 0)
            {
                await ExecuteAsync(admin, $"CREATE DATABASE {SourceDatabase}");
            }
        }

        var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = SourceDatabase, CommandTimeout = 600 }.ConnectionString);
        var data = new DriftBenchmarkData(server, readModel, source);
        if (await ScalarAsync(readModel, $"SELECT count(*) FROM pg_class WHERE relname = '{Ready}'") == 0)
        {
            Console.WriteLine("Building the 1M-row drift benchmark tables (once per server)...");
            await data.BuildAsync();
        }

        return data;
    }

    public async Task<NpgsqlReadModelStore> StoreAsync()
    {
        var options = new NpgsqlReadModelOptions { Schema = "drift_bench_rmk" };
        foreach (var drifted in new[] { false, true })
        {
            options.Map(Table(drifted), new ReadModelTableMapping
            {
                Schema = "drift_bench",
                Table = Table(drifted),
                KeyColumns = ["tenant_id", "case_id"],
                ValueColumns = ["status", "title", "amount", "updated_at"],
                RecomputeSql = RecomputeSql,
            });
        }

        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(ReadModel), options, [new Unused(Table(false)), new Unused(Table(true))], TimeProvider.System);
        await store.InitializeAsync();
        return store;
    }

    private async Task BuildAsync()
    {
        const string sourceTable = """
            DROP SCHEMA IF EXISTS drift_bench_src CASCADE;
            CREATE SCHEMA drift_bench_src;
            CREATE TABLE drift_bench_src.cases (
                tenant_id text NOT NULL, case_id bigint NOT NULL, status text, title text, amount numeric(12,2), updated_at timestamptz,
                PRIMARY KEY (tenant_id, case_id));
            INSERT INTO drift_bench_src.cases
            SELECT 'tenant-' || lpad((g % 50)::text, 2, '0'), g, (ARRAY['open', 'assigned', 'closed'])[1 + g % 3],
                   'Case ' || g || ' about a suspicious transfer', (g % 100000) / 100.0, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second'
            FROM generate_series(1, 1000000) AS g;
            """;
        await ExecuteAsync(Source, sourceTable);
        await ExecuteAsync(ReadModel, sourceTable);
        await ExecuteAsync(Source, "VACUUM ANALYZE drift_bench_src.cases");
        await ExecuteAsync(ReadModel, "VACUUM ANALYZE drift_bench_src.cases");
        await ExecuteAsync(ReadModel, """
            DROP SCHEMA IF EXISTS drift_bench CASCADE;
            CREATE SCHEMA drift_bench;
            CREATE TABLE drift_bench.cases_clean (
                tenant_id text NOT NULL, case_id bigint NOT NULL, status text, title text, amount numeric(12,2), updated_at timestamptz,
                version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
                PRIMARY KEY (tenant_id, case_id));
            INSERT INTO drift_bench.cases_clean (tenant_id, case_id, status, title, amount, updated_at)
            SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_bench_src.cases;
            CREATE TABLE drift_bench.cases_drift (LIKE drift_bench.cases_clean INCLUDING ALL);
            INSERT INTO drift_bench.cases_drift SELECT * FROM drift_bench.cases_clean;
            UPDATE drift_bench.cases_drift SET title = title || ' (edited by hand)' WHERE case_id % 2500 = 17;
            DELETE FROM drift_bench.cases_drift WHERE case_id % 3333 = 5 AND case_id < 1000000;
            INSERT INTO drift_bench.cases_drift (tenant_id, case_id, status, title, amount, updated_at)
            SELECT 'tenant-' || lpad((g % 50)::text, 2, '0'), 2000000 + g, 'open', 'stray row', 1, now() FROM generate_series(1, 300) AS g;
            """);
        await ExecuteAsync(ReadModel, "VACUUM ANALYZE drift_bench.cases_clean");
        await ExecuteAsync(ReadModel, "VACUUM ANALYZE drift_bench.cases_drift");
        await ExecuteAsync(ReadModel, $"CREATE TABLE drift_bench.{Ready} ()");
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await ReadModel.DisposeAsync();
        await Source.DisposeAsync();
        await Server.DisposeAsync();
    }

    private sealed class Unused(string name) : IProjection
    {
        public ProjectionContract Contract { get; } = new()
        {
            Name = name,
            Source = new ProjectionSource(SourceKind.CanonicalTables, "drift_bench_src.cases"),
            OrderingScope = ["tenant_id", "case_id"],
        };

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => throw new NotSupportedException();
    }
}
