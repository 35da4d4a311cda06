using System.Diagnostics;
using System.Globalization;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;

namespace ReadModelKit.Benchmarks.Drift;

/// <summary>
/// Clean checks at scale (default 10M rows), round-robin with the naive FULL JOIN in the same run: each round times the naive join,
/// the same-database check and the cross-database check (each without parallel workers, the default, and with the server's), and prints their ratios to the naive join, the managed bytes each check
/// allocated and the process's peak working set. The source table (in the read-model database for the naive join and the
/// same-database check, and in a database of its own for the cross-database check) and an identical read model are generated once
/// on a kept server (<see cref="KeptPostgres"/>) and reused by later runs: a marker table records the row count they were built with.
/// <c>dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --drift-10m [rounds]</c>
/// (any size: <c>-- --drift-large rounds rows</c>).
/// </summary>
internal static class LargeDriftRun
{
    private const string Recompute = "SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_large_src.cases";
    private const string SourceTable = """
        DROP SCHEMA IF EXISTS drift_large_src CASCADE;
        CREATE SCHEMA drift_large_src;
        CREATE TABLE drift_large_src.cases (
            tenant_id text NOT NULL, case_id bigint NOT NULL, status text, title text, amount numeric(12,2), updated_at timestamptz,
            PRIMARY KEY (tenant_id, case_id));
        INSERT INTO drift_large_src.cases
        SELECT 'tenant-' || lpad((g % 50)::text, 2, '0'), g, (ARRAY['open', 'assigned', 'closed'])[1 + g % 3],
               'Case ' || g || ' about a suspicious transfer', (g % 100000) / 100.0, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second'
        FROM generate_series(1, {0}) AS g;
        """;

    public static async Task<int> RunAsync(int rounds, int rows)
    {
        await using var server = await KeptPostgres.StartAsync();
        Console.WriteLine($"Server: {server.Description}");
        var database = $"readmodelkit_drift_{rows}";
        var sourceDatabase = database + "_src";
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        {
            foreach (var name in new[] { database, sourceDatabase })
            {
                if (Convert.ToInt64(await ScalarAsync(admin, $"SELECT count(*) FROM pg_database WHERE datname = '{name}'"), CultureInfo.InvariantCulture) == 0)
                {
                    await ExecuteAsync(admin, $"CREATE DATABASE {name}");
                }
            }
        }

        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database, CommandTimeout = 3600 }.ConnectionString);
        await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = sourceDatabase, CommandTimeout = 3600 }.ConnectionString);
        await EnsureDataAsync(dataSource, source, rows);
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
        var cross = new DriftReconciler(store, source);
        var checks = new (string Name, DriftReconciler Drift, int? Workers)[]
        {
            ("same-db", store.Drift, 0), ("cross-db", cross, 0), ("same-db server workers", store.Drift, null), ("cross-db server workers", cross, null),
        };
        for (var round = 1; round <= rounds; round++)
        {
            var naive = Stopwatch.StartNew();
            var naiveFound = await NaiveAsync(dataSource);
            var naiveMs = naive.Elapsed.TotalMilliseconds;
            var line = new List<string> { string.Create(CultureInfo.InvariantCulture, $"naive {naiveMs:F0} ms ({naiveFound} found)") };
            foreach (var (name, drift, workers) in checks)
            {
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var check = Stopwatch.StartNew();
                var report = await drift.CheckAsync("cases_large", new DriftCheckOptions { RecordIncidents = false, MaxSamples = 0, MaxParallelWorkers = workers });
                var checkMs = check.Elapsed.TotalMilliseconds;
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                line.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {checkMs:F0} ms ({checkMs / naiveMs:F2}, {report.Total} found, {report.CheckedRows} checked, {allocated / 1048576.0:F1} MB allocated)"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows={rows} round {round}: {string.Join("; ", line)}; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB"));
        }

        return 0;
    }

    /// <summary>Generates the tables unless a previous run left them with this row count.</summary>
    private static async Task EnsureDataAsync(NpgsqlDataSource readModel, NpgsqlDataSource source, int rows)
    {
        const string marker = "CREATE TABLE IF NOT EXISTS public.drift_large_ready (rows int8); SELECT coalesce(max(rows), 0) FROM public.drift_large_ready";
        var built = Convert.ToInt64(await ScalarAsync(readModel, marker), CultureInfo.InvariantCulture);
        var builtSource = Convert.ToInt64(await ScalarAsync(source, marker), CultureInfo.InvariantCulture);
        if (built == rows && builtSource == rows)
        {
            Console.WriteLine($"Reusing the {rows:N0}-row tables built by an earlier run.");
            return;
        }

        var build = Stopwatch.StartNew();
        Console.WriteLine($"Building the {rows:N0}-row source and read model (kept for later runs)...");
        var sourceSql = string.Format(CultureInfo.InvariantCulture, SourceTable, rows);
        await Task.WhenAll(ExecuteAsync(source, sourceSql), ExecuteAsync(readModel, sourceSql));
        await Task.WhenAll(ExecuteAsync(source, "VACUUM ANALYZE drift_large_src.cases"), ExecuteAsync(readModel, "VACUUM ANALYZE drift_large_src.cases"));
        await ExecuteAsync(readModel, """
            DROP SCHEMA IF EXISTS drift_large CASCADE; CREATE SCHEMA drift_large;
            CREATE TABLE drift_large.cases (
                tenant_id text NOT NULL, case_id bigint NOT NULL, status text, title text, amount numeric(12,2), updated_at timestamptz,
                version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
                PRIMARY KEY (tenant_id, case_id));
            INSERT INTO drift_large.cases (tenant_id, case_id, status, title, amount, updated_at)
            SELECT tenant_id, case_id, status, title, amount, updated_at FROM drift_large_src.cases;
            """);
        await ExecuteAsync(readModel, "VACUUM ANALYZE drift_large.cases");
        foreach (var dataSource in new[] { readModel, source })
        {
            await ExecuteAsync(dataSource, $"TRUNCATE public.drift_large_ready; INSERT INTO public.drift_large_ready VALUES ({rows})");
        }

        Console.WriteLine($"Built in {build.Elapsed.TotalSeconds:F0} s.");
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
