using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Hosting.Diagnostics;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Maintenance;

namespace ReadModelKit.Hosting.Maintenance;

/// <summary>
/// Runs <see cref="ReadModelKitMaintenance"/> every <see cref="MaintenanceOptions.Interval"/>, sampled drift checks every
/// <see cref="DriftScheduleOptions.SampleInterval"/> and a full check once a day. Among several nodes only the one holding a
/// PostgreSQL advisory lock runs a pass; a failed pass is logged and the next runs on schedule. When the drift checks last ran is
/// kept in the database (<see cref="MaintenanceRunLog"/>), so a node that starts after the nightly check's time still runs a missed
/// check, once, and a restart does not run it again.
/// </summary>
internal sealed class MaintenanceService(
    ReadModelKitMaintenance maintenance,
    ReadModelKitDataSource dataSource,
    NpgsqlReadModelStore store,
    TimeProvider time,
    ILogger<MaintenanceService> logger) : BackgroundService
{
    /// <summary>The task names in <see cref="MaintenanceRunLog"/>.</summary>
    internal const string NightlyTask = "drift.nightly";
    internal const string SampleTask = "drift.sampled";

    private readonly MaintenanceRunLog _runs = new(store);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = maintenance.Options;
        if (!options.Enabled)
        {
            return;
        }

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
        DriftCheckMode? mode = null;
        if (drift.NightlyFullCheck && await NightlyDueAsync(drift, now, cancellationToken).ConfigureAwait(false) is { } dueAt
            && await _runs.TryRecordAsync(NightlyTask, now, dueAt, cancellationToken).ConfigureAwait(false))
        {
            mode = DriftCheckMode.Full;
        }
        else if (drift.SampledChecks && await _runs.TryRecordAsync(SampleTask, now, now - drift.SampleInterval, cancellationToken).ConfigureAwait(false))
        {
            mode = DriftCheckMode.Sample;
        }

        if (mode is not { } run)
        {
            return;
        }

        if (run == DriftCheckMode.Full && drift.SampledChecks)
        {
            // A full check covers what a sample would: the next sample is due a whole interval later.
            await _runs.TryRecordAsync(SampleTask, now, DateTimeOffset.MaxValue, cancellationToken).ConfigureAwait(false);
        }

        var reports = await maintenance.CheckDriftAsync(run, cancellationToken).ConfigureAwait(false);
        HostingLog.ScheduledDriftChecked(logger, run.ToString(), reports.Count, reports.Sum(r => r.Total));
    }

    /// <summary>
    /// When the nightly check that should have run by now was due (today's <see cref="DriftScheduleOptions.NightlyAt"/> once passed,
    /// else yesterday's), or null when it is not due: it ran since then, or it never ran and today's time has not come yet.
    /// </summary>
    private async Task<DateTimeOffset?> NightlyDueAsync(DriftScheduleOptions drift, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero) + drift.NightlyAt;
        var dueAt = now >= today ? today : today.AddDays(-1);
        var last = await _runs.GetLastRunAsync(NightlyTask, cancellationToken).ConfigureAwait(false);
        return last switch
        {
            null when now < today => null,
            { } ran when ran >= dueAt => null,
            _ => dueAt,
        };
    }
}
