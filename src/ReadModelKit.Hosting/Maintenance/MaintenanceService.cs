using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Hosting.Diagnostics;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Hosting.Maintenance;

/// <summary>
/// Runs <see cref="ReadModelKitMaintenance"/> every <see cref="MaintenanceOptions.Interval"/>, sampled drift checks every
/// <see cref="DriftScheduleOptions.SampleInterval"/> and a full check once a day. Among several nodes only the one holding a
/// PostgreSQL advisory lock runs a pass; a failed pass is logged and the next runs on schedule.
/// </summary>
internal sealed class MaintenanceService(
    ReadModelKitMaintenance maintenance,
    ReadModelKitDataSource dataSource,
    NpgsqlReadModelStore store,
    TimeProvider time,
    ILogger<MaintenanceService> logger) : BackgroundService
{
    private DateTimeOffset? _lastSample;
    private DateOnly _lastNightly;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = maintenance.Options;
        if (!options.Enabled)
        {
            return;
        }

        var start = time.GetUtcNow();
        _lastSample = start;
        _lastNightly = DateOnly.FromDateTime(start.UtcDateTime.TimeOfDay >= options.Drift.NightlyAt ? start.UtcDateTime : start.UtcDateTime.AddDays(-1));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Interval, time, stoppingToken).ConfigureAwait(false);
                await PassAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                HostingLog.MaintenanceFailed(logger, options.Interval, ex);
            }
        }
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // A session lock: released when the connection closes, even if this process dies mid-pass.
            using (var lockCommand = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext('readmodelkit.maintenance'), hashtext($1))", connection))
            {
                lockCommand.Parameters.Add(new NpgsqlParameter<string> { TypedValue = store.Schema });
                if (await lockCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    return;
                }
            }

            var clock = Stopwatch.StartNew();
            var report = await maintenance.PruneAsync(cancellationToken).ConfigureAwait(false);
            HostingLog.MaintenancePassed(logger, report.TotalInboxRows, report.TotalTombstones, report.TotalOutboxEvents, clock.Elapsed.TotalMilliseconds);
            await DriftAsync(cancellationToken).ConfigureAwait(false);
            using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('readmodelkit.maintenance'), hashtext($1))", connection);
            unlock.Parameters.Add(new NpgsqlParameter<string> { TypedValue = store.Schema });
            await unlock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DriftAsync(CancellationToken cancellationToken)
    {
        var drift = maintenance.Options.Drift;
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        DriftCheckMode? mode = null;
        if (drift.NightlyFullCheck && today > _lastNightly && now.UtcDateTime.TimeOfDay >= drift.NightlyAt)
        {
            mode = DriftCheckMode.Full;
            _lastNightly = today;
        }
        else if (drift.SampledChecks && now - _lastSample >= drift.SampleInterval)
        {
            mode = DriftCheckMode.Sample;
        }

        if (mode is not { } run)
        {
            return;
        }

        _lastSample = now;
        var reports = await maintenance.CheckDriftAsync(run, cancellationToken).ConfigureAwait(false);
        HostingLog.ScheduledDriftChecked(logger, run.ToString(), reports.Count, reports.Sum(r => r.Total));
    }
}
