using System.Diagnostics.Metrics;
using ReadModelKit.Diagnostics;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>Rebuild progress, duration and failures as metrics, the progress figures, and the lifecycle state a run reports.</summary>
public sealed class RebuildMetricsTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_rebuild_records_rows_duration_and_failures_for_its_projection_and_reports_rate_and_time_left()
    {
        var bed = await RebuildBed.CreateAsync(db, "metrics", o => o.ChunkSize = 40);
        await bed.SeedAsync(100);
        var measured = new List<(string Instrument, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ReadModelKitDiagnostics.Name && instrument.Name.StartsWith("projection_rebuild_", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == ReadModelKitDiagnostics.ProjectionTag && (string?)tag.Value == "metrics")
                {
                    lock (measured)
                    {
                        measured.Add((instrument.Name, value));
                    }
                }
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        var planned = await bed.Rebuilds.StartAsync(bed.Name);
        var reports = new List<RebuildProgress>();
        var taken = false;
        var nodeB = await bed.OtherNodeAsync("node-b", o => o.ChunkSize = 40);
        await Assert.ThrowsAsync<RebuildLeaseLostException>(() => bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(p =>
        {
            reports.Add(p);
            if (!taken)
            {
                taken = true;
                db.ExecuteAsync($"UPDATE \"{bed.Store.Schema}\".rebuild_run SET owner = 'node-b', token = token + 1, lease_expires_at = now() - interval '1 second' WHERE projection_name = 'metrics'").GetAwaiter().GetResult();
            }
        })));
        var ready = await nodeB.RunAsync(bed.Name);

        Assert.Equal(ProjectionState.Rebuilding, planned.Lifecycle);
        Assert.Equal(ProjectionState.Live, ready.Lifecycle);
        var rebuilding = reports.Single();
        Assert.Equal((40L, RebuildRunState.Backfilling), (rebuilding.RowsDone, rebuilding.State));
        Assert.True(rebuilding.RowsPerSecond > 0);
        Assert.NotNull(rebuilding.EstimatedTotal);
        Assert.NotNull(rebuilding.EstimatedRemaining);
        lock (measured)
        {
            // Every row counted once across the takeover: the fenced-out chunk rolled back and was not counted.
            Assert.Equal(100, measured.Where(m => m.Instrument == "projection_rebuild_rows_total").Sum(m => m.Value));
            Assert.Equal(1, measured.Count(m => m.Instrument == "projection_rebuild_failures_total"));
            Assert.Single(measured, m => m.Instrument == "projection_rebuild_duration_seconds" && m.Value >= 0);
        }
    }
}
