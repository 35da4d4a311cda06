using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Benchmarks.Rebuild;

/// <summary>
/// The outbox replay rate of a rebuild against the live apply rate of the same events, in the same run: per round a fresh projection
/// over one outbox stream of N events; its runner applies the whole stream from the start (live apply), then a rebuild replays the same
/// stream into v2 (<c>RebuildMethod.ReplayEvents</c>). Rounds repeat so that both sides see the same machine load; the ratio is per round.
/// Run: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- rebuild-replay [--events 200000] [--rounds 3] [--out benchmarks/results/Rebuild-replay.md]
/// </summary>
internal static class ReplayBenchmarkRun
{
    private const string Stream = "bench_replay";
    private const int Keys = 50_000;
    private const int EventsPerTransaction = 100;
    private const int BatchSize = 1_000;

    public static async Task<int> MainAsync(string[] args)
    {
        var events = Option(args, "--events", 200_000);
        var rounds = Option(args, "--rounds", 3);
        var outIndex = Array.IndexOf(args, "--out");
        var output = outIndex >= 0 ? args[outIndex + 1] : Path.Combine("benchmarks", "results", "Rebuild-replay.md");
        await using var server = await ThrowawayPostgres.StartAsync(Console.WriteLine);
        const string schema = "bench_rp";
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = schema }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ExecuteAsync(dataSource, $"DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {schema}_rmk CASCADE; CREATE SCHEMA {schema}");

        // The library's tables come with a first store; then the stream: N events in transactions of 100 over 50,000 cases, written once.
        await StoreAsync(dataSource, schema, "bench_replay_warmup");
        long last = 0;
        for (var start = 0; start < events; start += EventsPerTransaction)
        {
            await using var insert = dataSource.CreateCommand($"""
                INSERT INTO {schema}_rmk.outbox (stream, event_id, ordering_key, version, event_type, occurred_at, payload)
                SELECT '{Stream}', gen_random_uuid(), 't1/' || (g % {Keys}), g / {Keys} + 1, 'CaseUpserted', now(),
                       jsonb_build_object('t', 't1', 'c', g % {Keys}, 's', 'status ' || g, 'n', 'case ' || (g % {Keys}))
                FROM generate_series($1, $2) g
                RETURNING tx_id::text::int8
                """);
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = start });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Min(events, start + EventsPerTransaction) - 1 });
            last = (long)(await insert.ExecuteScalarAsync())!;
        }

        await ExecuteAsync(dataSource, $"VACUUM ANALYZE {schema}_rmk.outbox");
        var results = new List<(double Live, double Replay, double WithGate)>();
        for (var round = 0; round < rounds; round++)
        {
            results.Add(await RoundAsync(dataSource, schema, $"bench_replay_{round}", events, last));
            var r = results[^1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: live {events / r.Live:0} events/s, replay {events / r.Replay:0} events/s ({r.Live / r.Replay:P0}), replay + gate {r.WithGate:0.00} s"));
        }

        var report = new StringBuilder()
            .AppendLine("# Rebuild by outbox replay: replay rate against the live apply rate")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Run on {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, PostgreSQL from {server.Description}; {DateTime.UtcNow:yyyy-MM-dd}.")
            .AppendLine(CultureInfo.InvariantCulture, $"Load average at the end: {LoadAverage()} (the machine was shared with other sessions building and testing): absolute figures are noisy; compare within a round.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"One outbox stream of {events:N0} events (transactions of {EventsPerTransaction}, {Keys:N0} cases, each event a newer version of its case), written once. Each round creates a fresh projection over it (checkpoint idempotency, no recompute query):")
            .AppendLine(CultureInfo.InvariantCulture, $"**live apply**: its `ProjectionRunner` (1 partition, batch {BatchSize}) applies the stream from the start, timed until the freshness block reports the last position; then **replay**: `StartAsync` + `RunAsync` of a rebuild by `ReplayEvents` (`ChunkSize` {BatchSize}: one transaction and one round trip per batch, fenced, into v2 under the run's own checkpoint track), timed to its last replayed batch; \"with gate\" adds the gate (v2 compared with v1 in one statement).")
            .AppendLine("The live runner keeps running (idle) during the replay. Both read the outbox with the same gap-safe reader and apply whole transactions with the same guarded upsert statement.")
            .AppendLine()
            .AppendLine("| round | live apply events/s | replay events/s | replay / live | replay + gate s |")
            .AppendLine("|---:|---:|---:|---:|---:|");
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {i + 1} | {events / r.Live:0} | {events / r.Replay:0} | {r.Live / r.Replay:P0} | {r.WithGate:0.00} |"));
        }

        var ratios = results.Select(r => r.Live / r.Replay).Order().ToList();
        report.AppendLine()
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"Median replay / live: **{ratios[ratios.Count / 2]:P0}** (min {ratios[0]:P0}, max {ratios[^1]:P0})."));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output, report.ToString());
        Console.WriteLine(report);
        return 0;
    }

    private static async Task<(double Live, double Replay, double WithGate)> RoundAsync(NpgsqlDataSource dataSource, string schema, string name, int events, long last)
    {
        var store = await StoreAsync(dataSource, schema, name);
        using var stop = new CancellationTokenSource();
        var runner = new ProjectionRunner(store, name, new ProjectionRunnerOptions { NodeId = "bench-live", PartitionCount = 1, BatchSize = BatchSize });
        var live = Stopwatch.StartNew();
        var running = runner.RunAsync(stop.Token);
        await store.Freshness.WaitForPositionAsync(name, new StreamPosition(last), TimeSpan.FromMinutes(10));
        live.Stop();

        await store.Rebuilds.StartAsync(name);
        var replay = Stopwatch.StartNew();
        var lastBatch = TimeSpan.Zero;
        var run = await store.Rebuilds.RunAsync(name, new Progress(p => lastBatch = replay.Elapsed));
        replay.Stop();
        await stop.CancelAsync();
        await running;
        if (run.State != RebuildRunState.Ready || run.RowsDone != events)
        {
            throw new InvalidOperationException($"The rebuild of {name} ended {run.State} after {run.RowsDone} event(s): {run.GateReport} {run.Error}");
        }

        return (live.Elapsed.TotalSeconds, lastBatch.TotalSeconds, replay.Elapsed.TotalSeconds);
    }

    private static async Task<NpgsqlReadModelStore> StoreAsync(NpgsqlDataSource dataSource, string schema, string name)
    {
        await ExecuteAsync(dataSource, $"""
            CREATE TABLE {name} (tenant_id text NOT NULL, case_id integer NOT NULL, status text, title text, version bigint NOT NULL,
                                 projected_at timestamptz, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id))
            """);
        var options = new NpgsqlReadModelOptions { Schema = schema + "_rmk" };
        options.Map(name, new ReadModelTableMapping { Table = name, KeyColumns = ["tenant_id", "case_id"], ValueColumns = ["status", "title"] });
        options.Rebuild.ChunkSize = BatchSize;
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new EndToEnd.BenchCaseProjection(Stream, name)], TimeProvider.System);
        await store.InitializeAsync();
        return store;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private sealed class Progress(Action<RebuildProgress> report) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => report(value);
    }
}
