using System.Globalization;
using BenchmarkDotNet.Running;
using ReadModelKit.Benchmarks.Apply;

// Run one scenario: dotnet run -c Release --project benchmarks/ReadModelKit.Benchmarks -- --filter '*InboxApply*'
// Apply methods round-robin with per-round ratios (and row checks): ... -- --interleaved 7   (one round, a smoke test: -- --check)
// End to end (outbox → runner → read model): ... -- end-to-end
// Rebuild: 1M-row backfill vs CREATE TABLE AS (interleaved rounds), reader blocking during cutover: ... -- rebuild [--rows 1000000] [--rounds 7] [--chunk-size N] [--backfill-only]
// Rebuild by outbox replay: replay rate vs live apply rate of the same stream, per round: ... -- rebuild-replay [--events 200000] [--rounds 3]
// Drift checks round-robin with per-round ratios to the naive join (quick, for profiling): ... -- --drift-interleaved 5
// Clean checks (same and cross database) at 10M rows against the naive join in the same run, data kept between runs: ... -- --drift-10m [rounds]
//   (any size: -- --drift-large rounds rows)
switch (args)
{
    case ["--check"]:
        return await InterleavedApplyRun.RunAsync(rounds: 1);
    case ["--interleaved", var rounds]:
        return await InterleavedApplyRun.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture));
    case ["--drift-interleaved", var rounds]:
        return await ReadModelKit.Benchmarks.Drift.InterleavedDriftRun.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture));
    case ["rebuild-replay", ..]:
        return await ReadModelKit.Benchmarks.Rebuild.ReplayBenchmarkRun.MainAsync(args);
    case ["rebuild", ..]:
        return await ReadModelKit.Benchmarks.Rebuild.RebuildBenchmarkRun.MainAsync(args);
    case ["--drift-10m"]:
        return await ReadModelKit.Benchmarks.Drift.LargeDriftRun.RunAsync(3, 10_000_000);
    case ["--drift-10m", var rounds]:
        return await ReadModelKit.Benchmarks.Drift.LargeDriftRun.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture), 10_000_000);
    case ["--drift-large", var rounds, var rows]:
        return await ReadModelKit.Benchmarks.Drift.LargeDriftRun.RunAsync(int.Parse(rounds, CultureInfo.InvariantCulture), int.Parse(rows, CultureInfo.InvariantCulture));
    case ["end-to-end", ..]:
        return await ReadModelKit.Benchmarks.EndToEnd.EndToEndRun.MainAsync(args);
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
}
