using System.Diagnostics;
using System.Globalization;

namespace ReadModelKit.Benchmarks.Drift;

/// <summary>
/// A quick round-robin of the drift checks (naive join, same database, cross database) over the same 1M-row tables as
/// <see cref="DriftDetectionBenchmarks"/>, printing each round's wall time and its ratio to the naive join of the same round.
/// For profiling and quick comparisons while working on the detectors; the committed numbers come from BenchmarkDotNet.
/// </summary>
internal static class InterleavedDriftRun
{
    public static async Task<int> RunAsync(int rounds)
    {
        var benchmarks = new DriftDetectionBenchmarks();
        foreach (var drifted in new[] { false, true })
        {
            benchmarks.Drifted = drifted;
            await benchmarks.SetupAsync();
            var methods = new (string Name, Func<Task<long>> Run)[]
            {
                ("naive", benchmarks.NaiveFullJoin),
                ("same-db", benchmarks.SameDatabaseChunked),
                ("cross-db", benchmarks.CrossDatabaseBlockHash),
                ("same-db server workers", benchmarks.SameDatabaseServerWorkers),
                ("cross-db server workers", benchmarks.CrossDatabaseServerWorkers),
            };
            for (var round = 1; round <= rounds; round++)
            {
                var times = new List<string>();
                double naive = 0;
                foreach (var (name, run) in methods)
                {
                    var stopwatch = Stopwatch.StartNew();
                    var found = await run();
                    var ms = stopwatch.Elapsed.TotalMilliseconds;
                    naive = name == "naive" ? ms : naive;
                    times.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {ms:F0} ms ({ms / naive:F2}, {found} found)"));
                }

                Console.WriteLine($"drifted={drifted} round {round}: {string.Join("; ", times)}");
            }

            await benchmarks.CleanupAsync();
        }

        return 0;
    }
}
