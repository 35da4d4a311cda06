using System.Diagnostics.Metrics;
using Npgsql;
using ReadModelKit.Diagnostics;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Diagnostics;

/// <summary>Every instrument the docs name for applying, observed with a MeterListener, and the log event ids the docs list.</summary>
public sealed class MetricsAndLogsTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>, IDisposable
{
    private static readonly string[] Documented =
        ["projection_lag_seconds", "source_watermark_age_seconds", "projection_events_applied_total", "projection_events_failed_total", "projection_dlq_total", "projection_batch_duration_seconds"];

    private readonly MeterListener _listener = new();
    private readonly Dictionary<(string Instrument, string Projection), (int Count, double Sum)> _measured = [];

    private void Listen()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ReadModelKitDiagnostics.Name && Documented.Contains(instrument.Name))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == ReadModelKitDiagnostics.ProjectionTag && tag.Value is string projection)
            {
                lock (_measured)
                {
                    var (count, sum) = _measured.GetValueOrDefault((instrument.Name, projection));
                    _measured[(instrument.Name, projection)] = (count + 1, sum + value);
                }
            }
        }
    }

    private (int Count, double Sum) Measured(string instrument, string projection)
    {
        lock (_measured)
        {
            return _measured.GetValueOrDefault((instrument, projection));
        }
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_runner_records_every_documented_apply_instrument_and_logs_its_event_ids()
    {
        Listen();
        const string projection = "metrics_run";
        var loggers = new RecordingLoggers();
        await OutboxFixtures.CreateTableAsync(db, projection + "_rm");
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        options.Map(projection, CaseListProjection.Mapping(projection + "_rm"));
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, [new CaseListProjection(OutboxFixtures.Contract(projection, projection))], TimeProvider.System, loggers);
        await store.InitializeAsync();
        var runner = new ProjectionRunner(store, projection, OutboxFixtures.FastRunner("metrics-node"), loggers: loggers);
        await using (OutboxFixtures.Start(runner))
        {
            var last = await OutboxFixtures.AppendAsync(store, db.DataSource, projection,
                Upserted("t1", 1, 1, "open"), Upserted("t1", 2, 1, "open"), Envelope("Poison", "t1", 3, 1, 0, null, new { tenant = "t1", @case = 3 }), Upserted("t1", 3, 2, "behind"));
            await store.Freshness.WaitForPositionAsync(projection, last, TimeSpan.FromSeconds(60));
            await Eventually.TrueAsync(() => Measured("projection_lag_seconds", projection).Count > 0, TimeSpan.FromSeconds(60), "the runner recorded its lag");
        }

        Assert.Equal((2.0, 1.0), (Measured("projection_events_applied_total", projection).Sum, Measured("projection_dlq_total", projection).Sum));
        Assert.True(Measured("projection_batch_duration_seconds", projection).Count >= 1);
        Assert.True(Measured("source_watermark_age_seconds", projection).Count >= 1);
        Assert.Equal(0, Measured("projection_events_failed_total", projection).Count);
        var ids = loggers.IdsMentioning(projection);
        Assert.Superset(new HashSet<int> { 2100, 2102, 2101, 2001, 2003, 2004 }, ids);
    }

    [Fact]
    public async Task Failed_events_are_counted_once_per_failed_attempt_with_the_batch_size_and_retries_are_logged()
    {
        Listen();
        const string projection = "metrics_fail";
        var loggers = new RecordingLoggers();
        await OutboxFixtures.CreateTableAsync(db, projection + "_rm");
        await using var proxy = TcpProxy.Start(db);
        await using var dataSource = NpgsqlDataSource.Create(proxy.ConnectionString(db, "rmk-metrics-fail"));
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk", Apply = new ApplierOptions { MaxTransientRetries = 2, TransientRetryDelay = TimeSpan.FromMilliseconds(5) } };
        options.Map(projection, CaseListProjection.Mapping(projection + "_rm"));
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new CaseListProjection(ContractFor(projection, ReadModelKit.Contracts.IdempotencyMode.Inbox))], TimeProvider.System, loggers);
        await store.InitializeAsync();
        proxy.Cut();

        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await store.GetApplier(projection).ApplyAsync([Upserted("t1", 1, 1, "open"), Upserted("t1", 2, 1, "open")]));

        // Three attempts (the first and two retries) of a two-event batch.
        Assert.Equal((3, 6.0), Measured("projection_events_failed_total", projection));
        Assert.Equal(2, loggers.Entries.Count(e => e.EventId == 2002 && e.Message.Contains(projection, StringComparison.Ordinal)));
        Assert.Equal(0, Measured("projection_events_applied_total", projection).Count);
    }
}
