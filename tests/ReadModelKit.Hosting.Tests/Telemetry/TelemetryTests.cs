using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ReadModelKit.Diagnostics;

namespace ReadModelKit.Hosting.Tests.Telemetry;

public sealed class TelemetryTests
{
    [Fact]
    public void Every_instrument_of_the_meter_is_documented_with_its_unit_and_nothing_else_is()
    {
        var documented = Rows("## Instruments").ToDictionary(r => r[0].Trim('`'), r => r[2].Trim('`'));
        var seen = new Dictionary<string, string>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == ReadModelKitDiagnostics.Name)
                {
                    seen[instrument.Name] = instrument.Unit ?? string.Empty;
                }
            };
            _ = ReadModelKitDiagnostics.EventsApplied;
            listener.Start();
        }

        Assert.Equal(13, documented.Count);
        Assert.Equal(documented.OrderBy(p => p.Key, StringComparer.Ordinal), seen.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Every_log_message_uses_a_published_event_id_once_and_every_id_is_documented()
    {
        var constants = typeof(ReadModelKitEventIds).GetFields(BindingFlags.Public | BindingFlags.Static).ToDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);
        var used = new[] { typeof(ReadModelKitDiagnostics).Assembly, typeof(Npgsql.NpgsqlReadModelStore).Assembly, typeof(ReadModelKitHostingOptions).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .Select(a => a.EventId)
            .ToList();
        var documented = Rows("## Log event ids").ToDictionary(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture), r => r[1].Trim('`'));

        Assert.Equal(used.Count, used.Distinct().Count());
        Assert.Equal(constants.Keys.Order(), used.Order());
        Assert.Equal(constants.OrderBy(p => p.Key), documented.OrderBy(p => p.Key));
    }

    [Fact]
    public void AddReadModelKitInstrumentation_collects_the_meter_and_the_activity_source()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder()
            .AddReadModelKitInstrumentation()
            .AddReader(new BaseExportingMetricReader(new CollectingExporter(metrics)))
            .Build();
        var spans = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder()
            .AddReadModelKitInstrumentation()
            .AddProcessor(new CollectingProcessor(spans))
            .Build();
        var projection = "otel_" + Guid.NewGuid().ToString("N")[..8];

        ReadModelKitDiagnostics.EventsApplied.Add(3, ReadModelKitDiagnostics.Tag(projection));
        using (ReadModelKitDiagnostics.StartActivity("apply_batch", projection))
        {
        }

        meters.ForceFlush();
        var applied = Assert.Single(metrics, m => m.Name == "projection_events_applied_total");
        var points = new List<long>();
        foreach (ref readonly var point in applied.GetMetricPoints())
        {
            foreach (var tag in point.Tags)
            {
                if (tag.Key == ReadModelKitDiagnostics.ProjectionTag && (string?)tag.Value == projection)
                {
                    points.Add(point.GetSumLong());
                }
            }
        }

        Assert.Equal([3L], points);
        Assert.Contains(spans, s => s.OperationName == "apply_batch" && (string?)s.GetTagItem(ReadModelKitDiagnostics.ProjectionTag) == projection);
    }

    /// <summary>The cells of the markdown table under <paramref name="heading"/> in docs/telemetry.md (header and separator skipped).</summary>
    private static IEnumerable<string[]> Rows(string heading)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "telemetry.md")))
        {
            dir = dir.Parent;
        }

        var text = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new FileNotFoundException("docs/telemetry.md not found above the test output"), "docs", "telemetry.md"));
        var section = text[text.IndexOf(heading, StringComparison.Ordinal)..];
        var next = section.IndexOf("\n## ", heading.Length, StringComparison.Ordinal);
        return (next < 0 ? section : section[..next]).Split('\n')
            .Where(l => l.StartsWith('|'))
            .Skip(2)
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray());
    }

    private sealed class CollectingExporter(List<Metric> metrics) : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                metrics.Add(metric);
            }

            return ExportResult.Success;
        }
    }

    private sealed class CollectingProcessor(List<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => spans.Add(data);
    }
}
