using System.Diagnostics.Metrics;
using ReadModelKit.Diagnostics;
using ReadModelKit.Npgsql.Drift;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class DriftIncidentTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Fact]
    public async Task A_check_records_one_incident_per_key_with_expected_and_actual_and_a_later_check_refreshes_it()
    {
        var store = await CreateAsync(fx, "inc");
        CaseRow Row(string tenant, int id, string title) => new(tenant, id, [title, null, "1.50", "'2026-01-01 10:00:00+02'", null, null]);
        var source = new[] { Row("t1", 1, "'same'"), Row("t1", 2, "'new'"), Row("t2", 1, "'only in source'") };
        var model = new[] { new ModelRow(Row("t1", 1, "'same'"), false), new ModelRow(Row("t1", 2, "'old'"), false), new ModelRow(Row("t9", 9, "'stray'"), false) };
        await LoadAsync(fx, "inc", new DriftCase(true, "three kinds", source, model));

        var first = await store.Drift.CheckAsync("inc_c");
        var second = await store.Drift.CheckAsync("inc_c");

        Assert.Equal((1L, 1L, 1L, 3L), (first.Missing, first.Extra, first.Changed, first.IncidentsRecorded));
        Assert.False(first.Clean);
        var incidents = await store.Drift.ListIncidentsAsync("inc_c");
        Assert.Equal(3, incidents.Count);
        var changed = Assert.Single(incidents, i => i.Kind == DriftKind.Changed);
        Assert.Equal("[\"t1\", 2]", changed.Key);
        Assert.Equal("""{"doc": null, "note": null, "score": null, "title": "new", "amount": 1.50, "updated_at": "2026-01-01T08:00:00+00:00"}""", changed.Expected);
        Assert.Equal("""{"doc": null, "note": null, "score": null, "title": "old", "amount": 1.50, "updated_at": "2026-01-01T08:00:00+00:00"}""", changed.Actual);
        var missing = Assert.Single(incidents, i => i.Kind == DriftKind.Missing);
        Assert.Equal(("[\"t2\", 1]", (string?)null), (missing.Key, missing.Actual));
        var extra = Assert.Single(incidents, i => i.Kind == DriftKind.Extra);
        Assert.Equal(("[\"t9\", 9]", (string?)null), (extra.Key, extra.Expected));
        Assert.All(incidents, i => Assert.True(i.LastDetectedAt > i.DetectedAt, "the second check refreshes last_detected_at"));
        Assert.All(incidents, i => Assert.Null(i.RepairedAt));
        Assert.Equal(3, second.IncidentsRecorded);
        Assert.Equal(3L, await fx.ScalarAsync<long>($"SELECT count(*) FROM \"{fx.Schema}_rmk\".drift_incident WHERE projection_name = 'inc_c'"));

        await store.Drift.RepairAsync(second, new DriftRepairOptions { MaxDriftShare = 1 });
        await LoadAsync(fx, "inc", new DriftCase(true, "drifts again", source, model));
        await store.Drift.CheckAsync("inc_c");
        var all = await store.Drift.ListIncidentsAsync("inc_c", openOnly: false);
        Assert.Equal(6, all.Count);
        Assert.Equal(3, all.Count(i => i.RepairedAt is not null));
    }

    [Fact]
    public async Task A_check_reports_samples_duration_and_metrics()
    {
        var store = await CreateAsync(fx, "met");
        var rows = Enumerable.Range(1, 30).Select(i => new CaseRow("t1", i, ["'x'", null, "1", null, null, null])).ToList();
        await LoadAsync(fx, "met", new DriftCase(false, "ten missing", rows, rows.Skip(10).Select(r => new ModelRow(r, false)).ToList()));
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ReadModelKitDiagnostics.Name && instrument.Name.StartsWith("projection_drift", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == ReadModelKitDiagnostics.ProjectionTag && (string?)t.Value == "met_s"))
            {
                lock (measured)
                {
                    measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
                }
            }
        });
        listener.Start();

        var report = await store.Drift.CheckAsync("met_s", new DriftCheckOptions { MaxSamples = 4, RecordIncidents = false });

        Assert.Equal((10L, 30L, 4, 0L), (report.Missing, report.CheckedRows, report.Samples.Count, report.IncidentsRecorded));
        Assert.True(report.Duration > TimeSpan.Zero);
        Assert.Equal(0.3333, report.DriftShare, 3);
        Assert.Equal(10L, measured["projection_drift_found_total"]);
        Assert.Equal(30L, measured["projection_drift_rows_checked_total"]);
        Assert.StartsWith("Drift check of met_s (SameDatabase, Full, all keys): DRIFT in ", report.ToString(), StringComparison.Ordinal);
        Assert.Contains("missing 10, extra 0, changed 0, share 33.333%", report.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"\n  missing \((?:[1-9]|10)\): expected \{""doc"": null", report.ToString()); // samples come in no particular order
    }

    [Fact]
    public async Task Checking_all_projections_returns_one_report_each()
    {
        var store = await CreateAsync(fx, "all");
        var reports = await store.Drift.CheckAllAsync();
        Assert.Equal(["all_c", "all_s"], reports.Select(r => r.ProjectionName));
        Assert.All(reports, r => Assert.True(r.Clean));
    }
}
