using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Benchmarks.Rebuild;

/// <summary>
/// (1) A backfill rebuild of N source rows against <c>CREATE TABLE AS</c> of the same recompute query, in the same run;
/// (2) reader blocking while the stable view is switched: 8 reader loops (prepared point queries on the view) run through repeated
/// cutovers and rollbacks; per-read latency p50/p99/max over the whole window, and reader errors.
/// A console harness: the reader latencies are observed in other tasks, which BenchmarkDotNet's per-invocation timing cannot do.
/// Run: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- rebuild [--rows 1000000] [--out benchmarks/results/Rebuild-report.md]
/// </summary>
internal static class RebuildBenchmarkRun
{
    private const string Name = "bench_rebuild";

    public static async Task<int> MainAsync(string[] args)
    {
        var rowsIndex = Array.IndexOf(args, "--rows");
        var rows = rowsIndex >= 0 ? int.Parse(args[rowsIndex + 1], CultureInfo.InvariantCulture) : 1_000_000;
        var outIndex = Array.IndexOf(args, "--out");
        var output = outIndex >= 0 ? args[outIndex + 1] : Path.Combine("benchmarks", "results", "Rebuild-report.md");
        await using var server = await ThrowawayPostgres.StartAsync(Console.WriteLine);
        var schema = "bench_rb";
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = schema }.ConnectionString;
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        {
            await using var reset = admin.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_rmk CASCADE; CREATE SCHEMA {schema}");
            await reset.ExecuteNonQueryAsync();
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ExecuteAsync(dataSource, $"""
            CREATE TABLE {Name}_src (tenant_id text NOT NULL, case_id integer NOT NULL, status text, title text, version bigint NOT NULL, PRIMARY KEY (tenant_id, case_id));
            INSERT INTO {Name}_src SELECT 't' || (g % 10), g, 'OPEN', 'case ' || g, 1 + g % 7 FROM generate_series(1, {rows}) g;
            CREATE TABLE {Name} (tenant_id text NOT NULL, case_id integer NOT NULL, status text, title text, version bigint NOT NULL,
                                 projected_at timestamptz, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id));
            """);
        await ExecuteAsync(dataSource, $"VACUUM ANALYZE {Name}_src");
        var recompute = $"SELECT tenant_id, case_id, status, title, version FROM {Name}_src";
        var options = new NpgsqlReadModelOptions { Schema = schema + "_rmk" };
        options.Map(Name, new ReadModelTableMapping { Table = Name, KeyColumns = ["tenant_id", "case_id"], ValueColumns = ["status", "title"], RecomputeSql = recompute, RecomputeReturnsVersion = true });
        options.Rebuild.ChunkSize = 5_000;
        options.Rebuild.SwitchLockTimeout = TimeSpan.FromMilliseconds(50);
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new RebuildProjection()], TimeProvider.System);
        await store.InitializeAsync();

        // 1. CREATE TABLE AS of the recompute query (with the key index, as the rebuilt table has one) vs the backfill.
        var ctas = Stopwatch.StartNew();
        await ExecuteAsync(dataSource, $"CREATE TABLE {Name}_ctas AS SELECT q.*, now() AS projected_at, NULL::timestamptz AS deleted_at FROM ({recompute}) q; ALTER TABLE {Name}_ctas ADD PRIMARY KEY (tenant_id, case_id)");
        ctas.Stop();
        await ExecuteAsync(dataSource, $"DROP TABLE {Name}_ctas");

        await store.Rebuilds.StartAsync(RebuildProjection.ProjectionName);
        var backfill = Stopwatch.StartNew();
        TimeSpan? backfillDone = null;
        var run = await store.Rebuilds.RunAsync(RebuildProjection.ProjectionName, new Progress(p =>
        {
            if (p.State == RebuildRunState.CatchingUp)
            {
                backfillDone = backfill.Elapsed;
            }
        }));
        var total = backfill.Elapsed;
        Console.WriteLine($"ctas {ctas.Elapsed.TotalSeconds:0.00}s, backfill {backfillDone?.TotalSeconds:0.00}s, with gate {total.TotalSeconds:0.00}s, state {run.State}");

        // 2. Reader blocking through switches.
        var latencies = new List<(long Start, long End)>();
        var errors = new List<string>();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT status, version FROM {Name} WHERE tenant_id = $1 AND case_id = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "t" + i });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 10 + i });
            await command.PrepareAsync();
            var local = new List<(long, long)>();
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await using var reader = await command.ExecuteReaderAsync();
                    while (await reader.ReadAsync())
                    {
                    }
                }
                catch (NpgsqlException e)
                {
                    lock (errors)
                    {
                        errors.Add(e.Message);
                    }
                }

                local.Add((started, Stopwatch.GetTimestamp()));
            }

            lock (latencies)
            {
                latencies.AddRange(local);
            }
        })).ToList();
        var switches = new List<(long Start, long End)>();
        await Task.Delay(500);
        for (var i = 0; i < 6; i++)
        {
            var started = Stopwatch.GetTimestamp();
            if (i % 2 == 0)
            {
                await store.Rebuilds.CutoverAsync(RebuildProjection.ProjectionName);
                switches.Add((started, Stopwatch.GetTimestamp()));
            }
            else
            {
                await store.Rebuilds.RollbackAsync(RebuildProjection.ProjectionName);
                switches.Add((started, Stopwatch.GetTimestamp()));
                await Task.Delay(300);
                await store.Rebuilds.StartAsync(RebuildProjection.ProjectionName);
                await store.Rebuilds.RunAsync(RebuildProjection.ProjectionName);
            }

            await Task.Delay(300);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);

        var report = new StringBuilder()
            .AppendLine("# Rebuild: backfill against CREATE TABLE AS, and reader blocking during cutover")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Run on {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, PostgreSQL from {server.Description}; {DateTime.UtcNow:yyyy-MM-dd}.")
            .AppendLine(CultureInfo.InvariantCulture, $"The machine was shared with 4 other sessions building and testing (load average at the end: {LoadAverage()}): absolute figures are low and noisy; compare within the run. One run each.")
            .AppendLine()
            .AppendLine("## Backfill")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{rows:N0} source rows (`{recompute}`, a primary-key table), read model with the same key. Baseline: `CREATE TABLE AS` of the same query plus its primary key, one statement.")
            .AppendLine(CultureInfo.InvariantCulture, $"Backfill: `RunAsync` with `ChunkSize` {options.Rebuild.ChunkSize} (one transaction per chunk, guarded upsert, progress recorded), until the last chunk; then the gate (a full drift check of the new version) separately.")
            .AppendLine()
            .AppendLine("| method | seconds | rows/s | share of CREATE TABLE AS speed |")
            .AppendLine("|---|---:|---:|---:|")
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"| CREATE TABLE AS + primary key | {ctas.Elapsed.TotalSeconds:0.00} | {rows / ctas.Elapsed.TotalSeconds:0} | 100% |"))
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"| backfill (chunks) | {backfillDone!.Value.TotalSeconds:0.00} | {rows / backfillDone.Value.TotalSeconds:0} | {ctas.Elapsed / backfillDone.Value:P0} |"))
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"| backfill + gate (drift check) | {total.TotalSeconds:0.00} | {rows / total.TotalSeconds:0} | {ctas.Elapsed / total:P0} |"))
            .AppendLine()
            .AppendLine("## Reader blocking during cutover")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"8 reader loops, each a prepared point query on the stable view in a tight loop, while the view was switched {switches.Count} times (cutover, rollback, cutover, …; after each rollback a new rebuild of the same size); lock timeout {options.Rebuild.SwitchLockTimeout.TotalMilliseconds:0} ms. \"During a switch\": reads that overlapped a switch transaction (from the call to its return); \"all\": every read of the window, including those while a rebuild backfilled and validated on the same 2 cores.")
            .AppendLine()
            .AppendLine("| reads | count | reader errors | p50 ms | p99 ms | max ms |")
            .AppendLine("|---|---:|---:|---:|---:|---:|")
            .AppendLine(Row("during a switch", latencies.Where(r => switches.Any(w => r.Start < w.End && r.End > w.Start)).ToList(), errors.Count))
            .AppendLine(Row("all", latencies, errors.Count))
            .AppendLine()
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"Switch transactions (call to return, including lock waits and retries): p50 {Percentile(switches.Select(Ms).ToList(), 0.5):0.0} ms, max {Percentile(switches.Select(Ms).ToList(), 1):0.0} ms."));
        await File.WriteAllTextAsync(output, report.ToString());
        Console.WriteLine(report);
        return errors.Count == 0 ? 0 : 1;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    private static double Ms((long Start, long End) span) => Stopwatch.GetElapsedTime(span.Start, span.End).TotalMilliseconds;

    private static string Row(string name, List<(long Start, long End)> reads, int errors)
    {
        var ms = reads.Select(Ms).ToList();
        return string.Create(CultureInfo.InvariantCulture, $"| {name} | {ms.Count} | {errors} | {Percentile(ms, 0.5):0.00} | {Percentile(ms, 0.99):0.00} | {Percentile(ms, 1):0.00} |");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double Percentile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private sealed class Progress(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => report(value);
    }

    private sealed class RebuildProjection : ReadModelKit.Projections.IProjection
    {
        public const string ProjectionName = Name;

        public ProjectionContract Contract { get; } = new()
        {
            Name = ProjectionName,
            Source = new ProjectionSource(SourceKind.BrokerTopic, "bench"),
            OrderingScope = ["tenant_id", "case_id"],
            Rebuild = RebuildMethod.BackfillFromCanonicalTables,
        };

        public IEnumerable<ReadModelKit.Changes.RowChange> Project(ReadModelKit.Events.EventEnvelope envelope) => [];
    }
}
