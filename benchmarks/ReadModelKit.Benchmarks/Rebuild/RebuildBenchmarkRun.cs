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
/// Run: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- rebuild [--rows 1000000] [--rounds 7] [--chunk-size N] [--backfill-only]
/// [--out benchmarks/results/Rebuild-report.md]. <c>--rounds</c> alternates CREATE TABLE AS and the backfill N times (per-round ratios);
/// <c>--backfill-only</c> skips the reader-blocking part.
/// </summary>
internal static class RebuildBenchmarkRun
{
    private const string Name = "bench_rebuild";

    public static async Task<int> MainAsync(string[] args)
    {
        var rowsIndex = Array.IndexOf(args, "--rows");
        var rows = rowsIndex >= 0 ? int.Parse(args[rowsIndex + 1], CultureInfo.InvariantCulture) : 1_000_000;
        var rounds = Option(args, "--rounds", 1);
        var chunkSize = Option(args, "--chunk-size", new RebuildOptions().ChunkSize);
        var backfillOnly = args.Contains("--backfill-only");
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
        options.Rebuild.ChunkSize = chunkSize;
        options.Rebuild.SwitchLockTimeout = TimeSpan.FromMilliseconds(50);
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new RebuildProjection()], TimeProvider.System);
        await store.InitializeAsync();

        // 1. CREATE TABLE AS of the recompute query (with the key index, as the rebuilt table has one) vs the backfill, alternating which
        // goes first, each round a fresh rebuild (the previous one is cancelled and its table dropped).
        var results = new List<(TimeSpan Ctas, TimeSpan Backfill, TimeSpan WithGate, string Load)>();
        for (var round = 1; round <= rounds; round++)
        {
            TimeSpan ctas = default, backfill = default, withGate = default;
            foreach (var method in round % 2 == 1 ? new[] { "ctas", "backfill" } : ["backfill", "ctas"])
            {
                if (method == "ctas")
                {
                    ctas = await CreateTableAsAsync(dataSource, recompute);
                }
                else
                {
                    (backfill, withGate) = await BackfillAsync(store);
                }
            }

            results.Add((ctas, backfill, withGate, LoadAverage()));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: ctas {ctas.TotalSeconds:0.00}s, backfill {backfill.TotalSeconds:0.00}s ({ctas / backfill:P0}), with gate {withGate.TotalSeconds:0.00}s, load {LoadAverage()}"));
            if (round < rounds || backfillOnly)
            {
                await store.Rebuilds.CancelAsync(RebuildProjection.ProjectionName);
            }
        }

        var backfillReport = BackfillReport(rows, recompute, chunkSize, results);
        if (backfillOnly)
        {
            await File.WriteAllTextAsync(output, Header(server.Description, "backfill against CREATE TABLE AS", rounds) + backfillReport);
            Console.WriteLine(backfillReport);
            return 0;
        }

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
            .Append(Header(server.Description, "backfill against CREATE TABLE AS, and reader blocking during cutover", rounds))
            .Append(backfillReport)
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

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static async Task<TimeSpan> CreateTableAsAsync(NpgsqlDataSource dataSource, string recompute)
    {
        var clock = Stopwatch.StartNew();
        await ExecuteAsync(dataSource, $"CREATE TABLE {Name}_ctas AS SELECT q.*, now() AS projected_at, NULL::timestamptz AS deleted_at FROM ({recompute}) q; ALTER TABLE {Name}_ctas ADD PRIMARY KEY (tenant_id, case_id)");
        var elapsed = clock.Elapsed;
        await ExecuteAsync(dataSource, $"DROP TABLE {Name}_ctas");
        return elapsed;
    }

    /// <summary>Plans a rebuild and runs it: the time to the last chunk, and to the gate's verdict.</summary>
    private static async Task<(TimeSpan Backfill, TimeSpan WithGate)> BackfillAsync(NpgsqlReadModelStore store)
    {
        await store.Rebuilds.StartAsync(RebuildProjection.ProjectionName);
        var clock = Stopwatch.StartNew();
        TimeSpan? backfillDone = null;
        var run = await store.Rebuilds.RunAsync(RebuildProjection.ProjectionName, new Progress(p =>
        {
            if (p.State == RebuildRunState.CatchingUp)
            {
                backfillDone = clock.Elapsed;
            }
        }));
        return run.State == RebuildRunState.Ready
            ? (backfillDone!.Value, clock.Elapsed)
            : throw new InvalidOperationException($"The benchmark rebuild ended {run.State}: {run.GateReport}");
    }

    private static string Header(string server, string what, int rounds) => new StringBuilder()
        .AppendLine(CultureInfo.InvariantCulture, $"# Rebuild: {what}")
        .AppendLine()
        .AppendLine(CultureInfo.InvariantCulture, $"Run on {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, PostgreSQL from {server}; {DateTime.UtcNow:yyyy-MM-dd}.")
        .AppendLine(CultureInfo.InvariantCulture, $"The machine was shared with other sessions building and testing (load average at the end: {LoadAverage()}): absolute figures are noisy; compare within a round. {rounds} round(s), CREATE TABLE AS and the backfill alternating which goes first.")
        .AppendLine()
        .ToString();

    private static string BackfillReport(int rows, string recompute, int chunkSize, List<(TimeSpan Ctas, TimeSpan Backfill, TimeSpan WithGate, string Load)> results)
    {
        var report = new StringBuilder()
            .AppendLine("## Backfill")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{rows:N0} source rows (`{recompute}`, a primary-key table), read model with the same key. Baseline: `CREATE TABLE AS` of the same query plus its primary key, one statement.")
            .AppendLine(CultureInfo.InvariantCulture, $"Backfill: `RunAsync` with `ChunkSize` {chunkSize} (one transaction per chunk: plain insert of the keys the new version lacks, guarded upsert of the rest, progress and fence recorded), until the last chunk; \"with gate\" adds the gate (a full drift check of the new version).")
            .AppendLine()
            .AppendLine("| round | CREATE TABLE AS + key s | backfill s | backfill share of CTAS speed | backfill + gate s | share with gate | load average after |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---|");
        for (var i = 0; i < results.Count; i++)
        {
            var (ctas, backfill, withGate, load) = results[i];
            report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {i + 1} | {ctas.TotalSeconds:0.00} | {backfill.TotalSeconds:0.00} | {ctas / backfill:P0} | {withGate.TotalSeconds:0.00} | {ctas / withGate:P0} | {load} |"));
        }

        var shares = results.Select(r => r.Ctas / r.Backfill).Order().ToList();
        return report
            .AppendLine()
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"Backfill share of CREATE TABLE AS speed: median {shares[shares.Count / 2]:P0}, min {shares[0]:P0}, max {shares[^1]:P0} over {results.Count} round(s)."))
            .AppendLine()
            .AppendLine("Where the difference goes: `CREATE TABLE AS` scans the source heap once and builds the key index by one sort at the end. The")
            .AppendLine("backfill reads the source in key order (an index scan, so it can resume after any chunk), inserts every row into the key index")
            .AppendLine("as it goes (live events need that index from the start), and per chunk finds the keys live events already wrote, sorts for")
            .AppendLine("the chunk's last key and records progress and its fence. Rows whose key the new version lacks go in with a plain")
            .AppendLine("`INSERT … SELECT`; the version-guarded upsert (what every row paid before: 30% of `CREATE TABLE AS` with 5,000-row chunks in")
            .AppendLine("the previous report) is kept for keys live events wrote. The gate's full drift check of the new version is the \"with gate\" column.")
            .ToString();
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
