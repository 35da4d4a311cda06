using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReadModelKit.Benchmarks.Columns;

/// <summary>
/// Throughput of a benchmark relative to another benchmark method of the same class in the same run
/// (reference median time / this median time): "15.0x" means fifteen times the reference's events per second.
/// Shown as a multiple (<c>x</c>) or as a percentage of the reference.
/// </summary>
public sealed class RelativeThroughputColumn(string referenceMethod, string columnName, bool asPercentage) : IColumn
{
    public string Id => nameof(RelativeThroughputColumn) + "." + referenceMethod;

    public string ColumnName => columnName;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => asPercentage ? 2 : 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"Events/s relative to {referenceMethod} of the same class and run (from the medians)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var reference = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.Type == benchmarkCase.Descriptor.Type && c.Descriptor.WorkloadMethod.Name == referenceMethod);
        if (reference is null
            || Throughput.MedianNanoseconds(summary, reference) is not { } referenceMedian
            || Throughput.MedianNanoseconds(summary, benchmarkCase) is not { } median)
        {
            return "-";
        }

        var ratio = referenceMedian / median;
        return asPercentage
            ? ratio.ToString("P0", CultureInfo.InvariantCulture)
            : ratio.ToString("0.0", CultureInfo.InvariantCulture) + "x";
    }

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => c.Descriptor.WorkloadMethod.Name == referenceMethod);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
