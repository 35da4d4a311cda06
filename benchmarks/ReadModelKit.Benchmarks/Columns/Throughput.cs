using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReadModelKit.Benchmarks.Columns;

internal static class Throughput
{
    /// <summary>
    /// The median time per operation in nanoseconds, or null when the case has no result. The median, not the mean:
    /// on a shared machine one iteration that collides with someone else's build should not move the ratios.
    /// </summary>
    public static double? MedianNanoseconds(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics?.Median is { } median and > 0 ? median : null;
}
