using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReadModelKit.Benchmarks.Columns;

internal static class Throughput
{
    /// <summary>The mean time per operation in nanoseconds, or null when the case has no result.</summary>
    public static double? MeanNanoseconds(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics?.Mean is { } mean and > 0 ? mean : null;
}
