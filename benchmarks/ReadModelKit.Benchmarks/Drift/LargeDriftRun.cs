using System.Diagnostics;
using System.Globalization;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Testing.Postgres;
using ReadModelKit.Projections;

namespace ReadModelKit.Benchmarks.Drift;

/// <summary>
/// A clean same-database check at scale (default 10M rows), round-robin with the naive FULL JOIN in the same run: the source table and
/// an identical read model are generated once per server (reused while the server lives), then each round times the naive join and
/// the check and prints the ratio, the managed bytes the check allocated and the process's peak working set.
/// <c>dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --drift-large 2 10000000</c>
/// </summary>
internal static class LargeDriftRun
{
    private const string Recompute = "SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_large_src.cases";

    public static async Task<int> RunAsync(int rounds, int rows)
    {
        await using var server = await ThrowawayPostgres.StartAsync(Console.WriteLine);
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { CommandTimeout = 3600 }.ConnectionString);
        var ready = $"drift_large_ready_{rows}";
        if (Convert.ToInt64(await ScalarAsync(dataSource, $"SELECT count(*) FROM pg_class WHERE relname = '{ready}'"), CultureInfo.InvariantCulture) == 0)
        {
            var build = Stopwatch.StartNew();
            Console.WriteLine($"Building the {rows:N0}-row source and read model (once per server)...");
            await ExecuteAsync(dataSource, $"""
                DROP SCHEMA IF EXISTS drift_large_src CASCADE; DROP SCHEMA IF EXISTS drift_large CASCADE;
                CREATE SCHEMA drift_large_src; CREATE SCHEMA drift_large;
                CREATE TABLE drift_large_src.cases (
                    tenant_id text NOT NULL, case_id bigint NOT NULL, status text, title text, amount numeric(12,2), updated_at timestamptz,
                    PRIMARY KEY (tenant_id, case_id));
                INSERT INTO drift_large_src.cases
                SELECT 'tenant-' || lpad((g % 50)::text, 2, '0'), g, (ARRAY['open', 'assigned', 'closed'])[1 + g % 3],
                       'Case ' || g || ' about a suspicious transfer', (g % 100000) / 100.0, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second'
                FROM generate_series(1, {rows}) AS g;
                CREATE TABLE drift_large.cases (
                    tenant_id text NOT NULL, case_id bigint NOT NULL, status text, title text, amount numeric(12,2), updated_at timestamptz,
                    version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
                    PRIMARY KEY (tenant_id, case_id));
                INSERT INTO drift_large.cases (tenant_id, case_id, status, title, amount, updated_at)
                SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_large_src.cases;
                """);
            await ExecuteAsync(dataSource, "VACUUM ANALYZE drift_large_src.cases");
            await ExecuteAsync(dataSource, "VACUUM ANALYZE drift_large.cases");
            await ExecuteAsync(dataSource, $"CREATE TABLE drift_large.{ready} ()");
            Console.WriteLine($"Built in {build.Elapsed.TotalSeconds:F0} s.");
        }

        var options = new NpgsqlReadModelOptions { Schema = "drift_large_rmk" };
        options.Map("cases_large", new ReadModelTableMapping
        {
            Schema = "drift_large",
            Table = "cases",
            KeyColumns = ["tenant_id", "case_id"],
            ValueColumns = ["status", "title", "amount", "updated_at"],
            RecomputeSql = Recompute,
        });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new Unused("cases_large")], TimeProvider.System);
        await store.InitializeAsync();
        for (var round = 1; round <= rounds; round++)
        {
            var naive = Stopwatch.StartNew();
            var naiveFound = await NaiveAsync(dataSource);
            var naiveMs = naive.Elapsed.TotalMilliseconds;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var check = Stopwatch.StartNew();
            var report = await store.Drift.CheckAsync("cases_large", new DriftCheckOptions { RecordIncidents = false });
            var checkMs = check.Elapsed.TotalMilliseconds;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"rows={rows} round {round}: naive {naiveMs:F0} ms ({naiveFound} found); same-db {checkMs:F0} ms ({checkMs / naiveMs:F2}, {report.Total} found, {report.CheckedRows} checked); check allocated {allocated / 1048576.0:F1} MB; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB"));
        }

        return 0;
    }

    private static async Task<long> NaiveAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT coalesce(e.tenant_id, a.tenant_id), coalesce(e.case_id, a.case_id), to_jsonb(e), to_jsonb(a)
            FROM ({Recompute}) AS e
            FULL JOIN (SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_large.cases WHERE deleted_at IS NULL) AS a
              ON e.tenant_id = a.tenant_id AND e.case_id = a.case_id
            WHERE e.tenant_id IS NULL OR a.tenant_id IS NULL
               OR ROW(e.status, e.title, e.amount, e.updated_at) IS DISTINCT FROM ROW(a.status, a.title, a.amount, a.updated_at)
            """);
        await using var reader = await command.ExecuteReaderAsync();
        long found = 0;
        while (await reader.ReadAsync())
        {
            found++;
        }

        return found;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    private sealed class Unused(string name) : IProjection
    {
        public ProjectionContract Contract { get; } = new()
        {
            Name = name,
            Source = new ProjectionSource(SourceKind.CanonicalTables, "drift_large_src.cases"),
            OrderingScope = ["tenant_id", "case_id"],
        };

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => throw new NotSupportedException();
    }
}
