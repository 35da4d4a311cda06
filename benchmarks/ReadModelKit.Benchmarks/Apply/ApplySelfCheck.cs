using System.Diagnostics;
using System.Globalization;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --check</c>: runs every apply benchmark method
/// once, outside BenchmarkDotNet, and checks it wrote what it claims (every event's read-model row, and an inbox row
/// where the path writes one). A quick smoke test of the benchmarks themselves, with rough timings.
/// </summary>
public static class ApplySelfCheck
{
    public static async Task<int> RunAsync()
    {
        var failures = 0;
        var inbox = new InboxApplyBenchmarks();
        await inbox.GlobalSetupAsync();
        try
        {
            failures += await CheckAsync(inbox, "PerEventTransactions", inbox.IterationSetup, async () => await inbox.PerEventTransactions(), BenchDatabase.Table, BenchDatabase.LibrarySchema + ".inbox");
            failures += await CheckAsync(inbox, "BinaryCopy", inbox.IterationSetup, async () => await inbox.BinaryCopy(), BenchDatabase.CopyTable, BenchDatabase.CopyInbox);
            failures += await CheckAsync(inbox, "InboxBatch100", inbox.IterationSetup, inbox.InboxBatch100, BenchDatabase.Table, BenchDatabase.LibrarySchema + ".inbox");
            failures += await CheckAsync(inbox, "InboxBatch1000", inbox.IterationSetup, inbox.InboxBatch1000, BenchDatabase.Table, BenchDatabase.LibrarySchema + ".inbox");
            failures += await CheckAsync(inbox, "InboxBatch5000", inbox.IterationSetup, inbox.InboxBatch5000, BenchDatabase.Table, BenchDatabase.LibrarySchema + ".inbox");
        }
        finally
        {
            await inbox.GlobalCleanupAsync();
        }

        var checkpoint = new CheckpointApplyBenchmarks();
        await checkpoint.GlobalSetupAsync();
        try
        {
            failures += await CheckAsync(checkpoint, "BinaryCopyRowsOnly", checkpoint.IterationSetup, async () => await checkpoint.BinaryCopyRowsOnly(), BenchDatabase.CopyTable, null);
            failures += await CheckAsync(checkpoint, "CheckpointBatch1000", checkpoint.IterationSetup, checkpoint.CheckpointBatch1000, BenchDatabase.Table, null);
            failures += await CheckAsync(checkpoint, "CheckpointBatch5000", checkpoint.IterationSetup, checkpoint.CheckpointBatch5000, BenchDatabase.Table, null);
        }
        finally
        {
            await checkpoint.GlobalCleanupAsync();
        }

        Console.WriteLine(failures == 0 ? "self-check passed" : $"self-check: {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> CheckAsync(ApplyBenchmarkBase scenario, string name, Action reset, Func<Task> run, string rowsTable, string? inboxTable)
    {
        var failures = 0;
        for (var round = 0; round < 2; round++)
        {
            reset();
            var started = Stopwatch.GetTimestamp();
            await run();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var rows = await scenario.DatabaseForCheck.CountAsync(rowsTable);
            var inboxRows = inboxTable is null ? ApplyWorkload.Events : await scenario.DatabaseForCheck.CountAsync(inboxTable);
            var ok = rows == ApplyWorkload.Events && inboxRows == ApplyWorkload.Events;
            failures += ok ? 0 : 1;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scenario.GetType().Name}.{name} round {round + 1}: {elapsed.TotalMilliseconds:N0} ms, {ApplyWorkload.Events / elapsed.TotalSeconds:N0} events/s, rows {rows}, inbox {inboxRows} {(ok ? "ok" : "WRONG")}"));
        }

        return failures;
    }
}
