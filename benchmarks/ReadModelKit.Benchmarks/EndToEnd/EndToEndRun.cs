using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Benchmarks.EndToEnd;

/// <summary>
/// Outbox → runner → read model, end to end: throughput with writers committing as fast as they can, and commit-to-visible
/// latency at a steady rate, with 1 and 2 runner instances; beside it the apply-only rate of the same events in the same run.
/// A console harness rather than a BenchmarkDotNet class: the quantity is the time between a writer's commit and the runner's
/// commit in other tasks, which BenchmarkDotNet's per-invocation timing cannot observe.
/// Run: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- end-to-end [--out benchmarks/results/EndToEnd-report.md]
/// </summary>
internal static class EndToEndRun
{
    private const int Keys = 800;
    private const int EventsPerTransaction = 10;

    public static async Task<int> MainAsync(string[] args)
    {
        var outIndex = Array.IndexOf(args, "--out");
        var output = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Path.Combine("benchmarks", "results", "EndToEnd-report.md");
        var repeatIndex = Array.IndexOf(args, "--repeat");
        var repeat = repeatIndex >= 0 && repeatIndex + 1 < args.Length ? int.Parse(args[repeatIndex + 1], CultureInfo.InvariantCulture) : 3;
        await using var server = await ThrowawayPostgres.StartAsync(Console.WriteLine);
        var scenarios = new List<(string Name, string Runners, Func<Task<(int Events, double Seconds, List<double>? Latencies)>> Run)>
        {
            ("apply only (applier, batch 500, no outbox)", "-", async () =>
            {
                var (events, seconds) = await MeasureApplyOnlyAsync(server.ConnectionString, events: 40_000);
                return (events, seconds, null);
            }),
        };
        foreach (var runners in new[] { 1, 2 })
        {
            var label = runners.ToString(CultureInfo.InvariantCulture);
            scenarios.Add(("catch-up of a 40k-event backlog", label, async () =>
            {
                var (events, seconds, _) = await MeasureAsync(server.ConnectionString, runners, transactions: 4_000, writers: 4, rate: null, backlog: true);
                return (events, seconds, null);
            }));
            scenarios.Add(("end to end, writers flat out", label, async () => await MeasureAsync(server.ConnectionString, runners, transactions: 2_000, writers: 4, rate: null)));
            scenarios.Add(("end to end, 100 commits/s", label, async () => await MeasureAsync(server.ConnectionString, runners, transactions: 1_000, writers: 4, rate: 100)));
        }

        var rows = new List<string>();
        foreach (var (name, runners, run) in scenarios)
        {
            var results = new List<(int Events, double Seconds, List<double>? Latencies)>();
            for (var i = 0; i < repeat; i++)
            {
                results.Add(await run());
            }

            // The median run by rate; latencies pooled over all runs.
            var median = results.OrderBy(r => r.Events / r.Seconds).ElementAt(results.Count / 2);
            var latencies = results.All(r => r.Latencies is null) ? null : results.SelectMany(r => r.Latencies ?? []).ToList();
            rows.Add(Row(name, runners, median.Events, median.Seconds, latencies));
            Console.WriteLine(rows[^1]);
        }

        var report = new StringBuilder()
            .AppendLine("# End to end: outbox → runner → read model")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Run on {Environment.ProcessorCount} cores, {RuntimeDescription()}, PostgreSQL from {server.Description}; {DateTime.UtcNow:yyyy-MM-dd}.")
            .AppendLine(CultureInfo.InvariantCulture, $"Each transaction commits {EventsPerTransaction} events of one case (one ordering key) through `OutboxWriter.AppendAsync`; 4 writer tasks over {Keys} cases;")
            .AppendLine("the runner(s) use the defaults (batch 500, LISTEN/NOTIFY wake-up) with 2 partitions, checkpoint idempotency, and run in the same process as the writers, all on the same machine as PostgreSQL.")
            .AppendLine("Latency is from the writer's `CommitAsync` returning to the runner's batch commit returning (`BatchApplied`), per transaction.")
            .AppendLine(CultureInfo.InvariantCulture, $"Each scenario ran {repeat} times: the row shows the run with the median rate; latency percentiles pool every transaction of all runs.")
            .AppendLine("The backlog scenario holds the horizon with an open writer transaction while the backlog is written (as a long transaction does), then commits it: the runners, already holding their partitions, drain it.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Load average at the end (other work on the machine skews every figure): {LoadAverage()}.")
            .AppendLine()
            .AppendLine("| scenario | runners | events | seconds | events/s | p50 ms | p99 ms | max ms |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            report.AppendLine(row);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output, report.ToString());
        Console.WriteLine(report);
        Console.WriteLine($"Written to {output}");
        return 0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string RuntimeDescription() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    private static string Row(string scenario, string runners, int events, double seconds, List<double>? latencies)
    {
        string P(double q) => latencies is null || latencies.Count == 0 ? "-" : Percentile(latencies, q).ToString("0.0", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"| {scenario} | {runners} | {events} | {seconds:0.00} | {events / seconds:0} | {P(0.5)} | {P(0.99)} | {P(1)} |");
    }

    private static double Percentile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        var index = (int)Math.Ceiling(q * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }

    private static async Task<(string Schema, NpgsqlDataSource DataSource, NpgsqlReadModelStore Store)> SetUpAsync(string connectionString, string stream)
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..10];
        var dataSource = new NpgsqlDataSourceBuilder(connectionString) { ConnectionStringBuilder = { MaxPoolSize = 50 } }.Build();
        await using (var create = dataSource.CreateCommand($"""
            CREATE SCHEMA {schema};
            CREATE TABLE {schema}.case_list (tenant_id text, case_id int, status text, title text, version bigint NOT NULL,
                                             projected_at timestamptz NOT NULL, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id));
            """))
        {
            await create.ExecuteNonQueryAsync();
        }

        var options = new NpgsqlReadModelOptions { Schema = schema + "_rmk" };
        options.Map(BenchCaseProjection.Name, new ReadModelTableMapping { Schema = schema, Table = "case_list", KeyColumns = ["tenant_id", "case_id"], ValueColumns = ["status", "title"] });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new BenchCaseProjection(stream)], TimeProvider.System);
        await store.InitializeAsync();
        return (schema, dataSource, store);
    }

    private static async Task TearDownAsync(string schema, NpgsqlDataSource dataSource)
    {
        await using (var drop = dataSource.CreateCommand($"DROP SCHEMA {schema} CASCADE; DROP SCHEMA {schema}_rmk CASCADE"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await dataSource.DisposeAsync();
    }

    private static EventEnvelope Event(int key, long version, long position = 0) => new()
    {
        EventId = Guid.NewGuid(),
        OrderingKey = $"t1/{key}",
        Version = version,
        Position = new StreamPosition(position),
        Type = "CaseChanged",
        OccurredAt = DateTimeOffset.UtcNow,
        Payload = JsonSerializer.SerializeToElement(new { t = "t1", c = key, s = "status-" + version, n = "Case " + key }),
    };

    private static async Task<(int Events, double Seconds)> MeasureApplyOnlyAsync(string connectionString, int events)
    {
        var (schema, dataSource, store) = await SetUpAsync(connectionString, "apply-only");
        var applier = store.GetApplier(BenchCaseProjection.Name);
        var versions = new long[Keys];
        var batches = Enumerable.Range(0, events / 500).Select(b => Enumerable.Range(0, 500).Select(i =>
        {
            var key = (b * 500 + i) / EventsPerTransaction % Keys;
            return Event(key, ++versions[key], position: b + 1);
        }).ToList()).ToList();
        await applier.ApplyAsync(batches[0], StreamPosition.Start, 0);
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches.Skip(1))
        {
            await applier.ApplyAsync(batch, new StreamPosition(batch[0].Position.Value - 1), 0);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await TearDownAsync(schema, dataSource);
        return ((batches.Count - 1) * 500, seconds);
    }

    private static async Task<(int Events, double Seconds, List<double> Latencies)> MeasureAsync(string connectionString, int runnerCount, int transactions, int writers, int? rate, bool backlog = false)
    {
        const string stream = "bench-cases";
        var (schema, dataSource, store) = await SetUpAsync(connectionString, stream);

        // The partition of each key, from PostgreSQL's own hash, so a transaction's visibility is matched to its partition's batches.
        var partitionOf = new int[Keys];
        await using (var partitions = dataSource.CreateCommand($"SELECT k, mod(mod(hashtextextended('t1/' || k, 0), 2) + 2, 2)::int4 FROM generate_series(0, {Keys - 1}) k"))
        await using (var reader = await partitions.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                partitionOf[reader.GetInt32(0)] = reader.GetInt32(1);
            }
        }

        var committed = new ConcurrentDictionary<long, (long Timestamp, int Partition)>();
        var visible = new ConcurrentBag<(int Partition, long From, long To, long Timestamp)>();
        using var stop = new CancellationTokenSource();
        var runners = Enumerable.Range(0, runnerCount).Select(i =>
        {
            var runner = new ProjectionRunner(store, BenchCaseProjection.Name, new ProjectionRunnerOptions { NodeId = $"bench-{i}", PartitionCount = 2 });
            runner.BatchApplied += (_, e) => visible.Add((e.Partition, e.From.Value, e.To.Value, Stopwatch.GetTimestamp()));
            return runner;
        }).ToList();
        var running = runners.Select(r => Task.Run(() => r.RunAsync(stop.Token))).ToList();
        await WaitAsync(() => runners.Sum(r => r.Status.Owned.Count) == 2 && runners.All(r => r.Status.Owned.Count > 0));

        // For the backlog: a transaction holding an id keeps the horizon below every event written meanwhile (as a long
        // transaction does in production), so the runners, already holding their partitions, find the whole backlog at once.
        await using var blocker = await dataSource.OpenConnectionAsync();
        await using var blocking = await blocker.BeginTransactionAsync();
        if (backlog)
        {
            // A long writer transaction of the application: it appends an event too, so its commit notifies the runners.
            await store.Outbox.AppendAsync(blocker, blocking, stream, [Event(0, 0)]);
        }

        var clock = Stopwatch.StartNew();
        var perWriter = transactions / writers;
        var last = StreamPosition.Start;
        var gate = new object();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var versions = new long[Keys];
            for (var t = 0; t < perWriter; t++)
            {
                if (rate is { } perSecond)
                {
                    var due = TimeSpan.FromSeconds((double)(t * writers + w) / perSecond);
                    if (due > clock.Elapsed)
                    {
                        await Task.Delay(due - clock.Elapsed);
                    }
                }

                var key = (w * Keys / writers) + (t % (Keys / writers));
                var events = Enumerable.Range(0, EventsPerTransaction).Select(_ => Event(key, ++versions[key])).ToArray();
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                var token = await store.Outbox.AppendAsync(connection, transaction, stream, events);
                await transaction.CommitAsync();
                committed[token.Value] = (Stopwatch.GetTimestamp(), partitionOf[key]);
                lock (gate)
                {
                    last = token > last ? token : last;
                }
            }
        })));

        if (backlog)
        {
            clock.Restart();
            await blocking.CommitAsync();
        }

        await store.Freshness.WaitForPositionAsync(BenchCaseProjection.Name, last, TimeSpan.FromMinutes(5));
        var seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(running);

        var batches = visible.ToArray();
        var latencies = committed.Select(c =>
        {
            var seen = batches.Where(b => b.Partition == c.Value.Partition && b.From < c.Key && c.Key <= b.To).Select(b => b.Timestamp).DefaultIfEmpty(long.MaxValue).Min();
            return seen == long.MaxValue ? double.NaN : Stopwatch.GetElapsedTime(c.Value.Timestamp, seen).TotalMilliseconds;
        }).Where(l => !double.IsNaN(l)).ToList();
        await TearDownAsync(schema, dataSource);
        return (committed.Count * EventsPerTransaction + (backlog ? 1 : 0), seconds, latencies);
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("The runners did not claim their partitions within 60 s.");
            }

            await Task.Delay(20);
        }
    }
}
