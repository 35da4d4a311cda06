using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// Runs the apply benchmark methods outside BenchmarkDotNet, round-robin: each round runs every method of a scenario once
/// (after its iteration set-up), so the methods compared in a round ran seconds apart under the same machine load.
/// Ratios are taken per round and the median over rounds is reported, which keeps them stable on a machine that other
/// work is using (BenchmarkDotNet runs each method's iterations back to back, so a load change between methods moves its ratios).
/// Every run also checks the method wrote what it claims (one read-model row per event, and an inbox row where it writes one).
/// <c>-- --check</c> is one round (a smoke test); <c>-- --interleaved 7</c> runs one warm-up round and 7 measured rounds
/// and prints the table committed in results/.
/// </summary>
public static class InterleavedApplyRun
{
    public static async Task<int> RunAsync(int rounds)
    {
        var report = new StringBuilder();
        var failures = 0;
        report.AppendLine(CultureInfo.InvariantCulture, $"| scenario | method | median µs/event | events/s | vs per-event | of COPY | of COPY rows only | rounds |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");

        var inbox = new InboxApplyBenchmarks();
        await inbox.GlobalSetupAsync();
        try
        {
            failures += await RunScenarioAsync(report, rounds, nameof(InboxApplyBenchmarks),
            [
                Case(inbox, nameof(inbox.PerEventTransactions), inbox.IterationSetup, inbox.PerEventTransactions, BenchDatabase.Table, InboxTable),
                Case(inbox, nameof(inbox.BinaryCopy), inbox.IterationSetup, inbox.BinaryCopy, BenchDatabase.CopyTable, BenchDatabase.CopyInbox),
                Case(inbox, nameof(inbox.InboxBatch100), inbox.IterationSetup, inbox.InboxBatch100, BenchDatabase.Table, InboxTable),
                Case(inbox, nameof(inbox.InboxBatch1000), inbox.IterationSetup, inbox.InboxBatch1000, BenchDatabase.Table, InboxTable),
                Case(inbox, nameof(inbox.InboxBatch5000), inbox.IterationSetup, inbox.InboxBatch5000, BenchDatabase.Table, InboxTable),
            ]);
        }
        finally
        {
            await inbox.GlobalCleanupAsync();
        }

        var checkpoint = new CheckpointApplyBenchmarks();
        await checkpoint.GlobalSetupAsync();
        try
        {
            failures += await RunScenarioAsync(report, rounds, nameof(CheckpointApplyBenchmarks),
            [
                Case(checkpoint, nameof(checkpoint.PerEventTransactions), checkpoint.IterationSetup, checkpoint.PerEventTransactions, BenchDatabase.Table, InboxTable),
                Case(checkpoint, nameof(checkpoint.BinaryCopy), checkpoint.IterationSetup, checkpoint.BinaryCopy, BenchDatabase.CopyTable, BenchDatabase.CopyInbox),
                Case(checkpoint, nameof(checkpoint.BinaryCopyRowsOnly), checkpoint.IterationSetup, checkpoint.BinaryCopyRowsOnly, BenchDatabase.CopyTable, null),
                Case(checkpoint, nameof(checkpoint.CheckpointBatch1000), checkpoint.IterationSetup, checkpoint.CheckpointBatch1000, BenchDatabase.Table, null),
                Case(checkpoint, nameof(checkpoint.CheckpointBatch5000), checkpoint.IterationSetup, checkpoint.CheckpointBatch5000, BenchDatabase.Table, null),
            ]);
        }
        finally
        {
            await checkpoint.GlobalCleanupAsync();
        }

        // Two servers at once, one per id kind, each with its own inbox history.
        var random = new InboxEventIdBenchmarks();
        var version7 = new InboxEventIdBenchmarks();
        await random.SetupRandomAsync();
        await version7.SetupVersion7Async();
        try
        {
            failures += await RunScenarioAsync(report, rounds, nameof(InboxEventIdBenchmarks),
            [
                Case(random, nameof(random.RandomIds), random.IterationSetupRandom, random.RandomIds, BenchDatabase.Table, null),
                Case(version7, nameof(version7.Version7Ids), version7.IterationSetupVersion7, version7.Version7Ids, BenchDatabase.Table, null),
            ]);
        }
        finally
        {
            await random.GlobalCleanupAsync();
            await version7.GlobalCleanupAsync();
        }

        Console.WriteLine();
        Console.WriteLine(report.ToString());
        Console.WriteLine(failures == 0 ? "every run wrote what it claims" : $"{failures} run(s) wrote the wrong number of rows");
        return failures == 0 ? 0 : 1;
    }

    private static string InboxTable => BenchDatabase.LibrarySchema + ".inbox";

    private static RunCase Case<T>(ApplyBenchmarkBase scenario, string name, Action setUp, Func<Task<T>> run, string rowsTable, string? inboxTable) =>
        new(scenario, name, setUp, async () => await run(), rowsTable, inboxTable);

    private static async Task<int> RunScenarioAsync(StringBuilder report, int rounds, string scenarioName, IReadOnlyList<RunCase> cases)
    {
        var failures = 0;
        var seconds = cases.ToDictionary(c => c.Name, _ => new List<double>());
        var warmUp = rounds > 1 ? 1 : 0;
        for (var round = 1 - warmUp; round <= rounds; round++)
        {
            foreach (var runCase in cases)
            {
                runCase.SetUp();
                var started = Stopwatch.GetTimestamp();
                await runCase.Run();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (round > 0)
                {
                    seconds[runCase.Name].Add(elapsed);
                }

                // In the event id scenario the inbox keeps its history, so only the read model is counted there.
                var rows = await runCase.Scenario.Database.CountAsync(runCase.RowsTable);
                var inboxRows = runCase.InboxTable is null ? ApplyWorkload.Events : await runCase.Scenario.Database.CountAsync(runCase.InboxTable);
                var ok = rows == ApplyWorkload.Events && inboxRows == ApplyWorkload.Events;
                failures += ok ? 0 : 1;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{scenarioName}.{runCase.Name} {(round == 0 ? "warm-up" : "round " + round)}: {elapsed * 1000:N0} ms, {ApplyWorkload.Events / elapsed:N0} events/s, rows {rows}, inbox {inboxRows} {(ok ? "ok" : "WRONG")}"));
            }
        }

        var baseline = cases[0].Name;
        foreach (var runCase in cases)
        {
            var times = seconds[runCase.Name];
            var perEvent = Median(times) / ApplyWorkload.Events;
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {scenarioName} | {runCase.Name} | {perEvent * 1e6:N1} | {1 / perEvent:N0} | {RoundRatio(seconds, baseline, runCase.Name, "0.0'x'")} | {RoundRatio(seconds, "BinaryCopy", runCase.Name, "P0")} | {RoundRatio(seconds, "BinaryCopyRowsOnly", runCase.Name, "P0")} | {rounds} |"));
        }

        return failures;
    }

    /// <summary>The median over rounds of (reference time / this time) within the same round, or "-" when the scenario has no such reference.</summary>
    private static string RoundRatio(Dictionary<string, List<double>> seconds, string reference, string name, string format) =>
        seconds.TryGetValue(reference, out var referenceTimes)
            ? Median(referenceTimes.Zip(seconds[name], (r, t) => r / t).ToList()).ToString(format, CultureInfo.InvariantCulture)
            : "-";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private sealed record RunCase(ApplyBenchmarkBase Scenario, string Name, Action SetUp, Func<Task> Run, string RowsTable, string? InboxTable);
}
