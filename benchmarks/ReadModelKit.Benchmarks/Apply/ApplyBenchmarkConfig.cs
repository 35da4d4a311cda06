using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using ReadModelKit.Benchmarks.Columns;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>Adds the median, events/s and throughput relative to the per-event baseline and to the COPY ceilings (all from the medians); exports GitHub markdown.</summary>
public sealed class ApplyBenchmarkConfig : ManualConfig
{
    public ApplyBenchmarkConfig()
    {
        AddColumn(
            StatisticColumn.Median,
            new EventsPerSecondColumn(),
            new RelativeThroughputColumn(nameof(BaselineComparisonBenchmarks.PerEventTransactions), "vs per-event", asPercentage: false),
            new RelativeThroughputColumn(nameof(BaselineComparisonBenchmarks.BinaryCopy), "of COPY", asPercentage: true),
            new RelativeThroughputColumn(nameof(CheckpointApplyBenchmarks.BinaryCopyRowsOnly), "of COPY rows only", asPercentage: true));
        AddExporter(MarkdownExporter.GitHub);
    }
}
