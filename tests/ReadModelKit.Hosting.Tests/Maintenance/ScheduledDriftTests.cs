using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Hosting.Maintenance;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Maintenance;

public sealed class ScheduledDriftTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Sampled_drift_checks_on_the_schedule_record_the_drift_as_incidents()
    {
        await DriftedProjection.CreateAsync(db, "sd_case");
        using var host = TestNode.Builder(db, [TestNode.Contract("sd_case", "sd-case")], new Dictionary<string, string?>
        {
            ["ReadModelKit:Hosting:Maintenance:Enabled"] = "true",
            ["ReadModelKit:Hosting:Maintenance:Interval"] = "00:00:00.100",
            ["ReadModelKit:Hosting:Maintenance:Drift:SampledChecks"] = "true",
            ["ReadModelKit:Hosting:Maintenance:Drift:SampleInterval"] = "00:00:00.100",
        }, library: "sched_drift", store: o => o.Map("sd_case", DriftedProjection.Mapping("sd_case"))).Build();
        var incidents = $"SELECT string_agg(kind || ':' || row_key::text, ',' ORDER BY row_key::text) FROM \"{db.Schema}_sched_drift\".drift_incident WHERE projection_name = 'sd_case' AND repaired_at IS NULL";

        await host.StartAsync();
        await Eventually.TrueAsync(async () => await db.ScalarAsync<string>(incidents) is not null, TimeSpan.FromSeconds(30), "a scheduled drift check recorded incidents");
        await host.StopAsync();

        Assert.Equal("""changed:["t1", 2],missing:["t1", 3],extra:["t1", 9]""", await db.ScalarAsync<string>(incidents));
    }

    [Theory]
    [InlineData("sw_default", null, "0")]
    [InlineData("sw_three", "3", "3")]
    public async Task Scheduled_checks_run_under_the_configured_parallel_worker_limit(string name, string? configured, string seen)
    {
        // The recompute query reports the setting it runs under, against '0' in the read model.
        await TestNode.CreateTablesAsync(db, name);
        await db.ExecuteAsync($"""
            CREATE TABLE {name}_src (tenant_id text, case_id integer, PRIMARY KEY (tenant_id, case_id));
            INSERT INTO {name}_src SELECT 't1', g FROM generate_series(1, 20) g;
            INSERT INTO {name}_rm (tenant_id, case_id, status, title, version, projected_at) SELECT 't1', g, 'open', '0', 1, now() FROM generate_series(1, 20) g;
            """);
        var settings = new Dictionary<string, string?>();
        if (configured is not null)
        {
            settings["ReadModelKit:Hosting:Maintenance:Drift:MaxParallelWorkers"] = configured;
        }

        var mapping = new ReadModelTableMapping
        {
            Table = name + "_rm",
            KeyColumns = ["tenant_id", "case_id"],
            ValueColumns = ["status", "title"],
            RecomputeSql = $"SELECT tenant_id, case_id, 'open' AS status, current_setting('max_parallel_workers_per_gather') AS title FROM {name}_src",
        };
        using var host = TestNode.Builder(db, [TestNode.Contract(name, name.Replace('_', '-'))], settings, library: name, store: o => o.Map(name, mapping)).Build();
        await host.StartAsync();
        var reports = await host.Services.GetRequiredService<ReadModelKitMaintenance>().CheckDriftAsync(ReadModelKit.Npgsql.Drift.DriftCheckMode.Full);
        await host.StopAsync();

        var report = Assert.Single(reports);
        Assert.Equal(seen == "0" ? 0 : 20, report.Changed);
        Assert.Equal(report.Changed, report.Total);
    }

    [Fact]
    public void An_invalid_parallel_worker_limit_is_named()
    {
        Assert.Equal(
            ["MaxParallelWorkers is 2000: it must be between 0 and 1024 (PostgreSQL's limit), or null to keep the connection's setting."],
            new DriftScheduleOptions { MaxParallelWorkers = 2000 }.Validate());
    }

    [Fact]
    public async Task The_nightly_full_check_runs_once_the_time_of_day_has_passed()
    {
        await DriftedProjection.CreateAsync(db, "nd_case");
        if (DateTimeOffset.UtcNow.TimeOfDay > new TimeSpan(23, 59, 0))
        {
            await Task.Delay(TimeSpan.FromSeconds(75)); // the check time must fall on the same UTC day as the start
        }

        // The check has never run, so the node waits for today's check time: start it before that time, with room for a slow start
        // on a busy machine.
        var at = DateTimeOffset.UtcNow.AddSeconds(15).TimeOfDay;
        using var host = TestNode.Builder(db, [TestNode.Contract("nd_case", "nd-case")], new Dictionary<string, string?>
        {
            ["ReadModelKit:Hosting:Maintenance:Enabled"] = "true",
            ["ReadModelKit:Hosting:Maintenance:Interval"] = "00:00:00.100",
            ["ReadModelKit:Hosting:Maintenance:Drift:NightlyFullCheck"] = "true",
            ["ReadModelKit:Hosting:Maintenance:Drift:NightlyAt"] = at.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        }, library: "nightly_drift", store: o => o.Map("nd_case", DriftedProjection.Mapping("nd_case"))).Build();
        var incidents = $"SELECT count(*) FROM \"{db.Schema}_nightly_drift\".drift_incident WHERE projection_name = 'nd_case' AND repaired_at IS NULL";

        await host.StartAsync();
        await Eventually.TrueAsync(async () => await db.ScalarAsync<long>(incidents) == 3, TimeSpan.FromSeconds(75), "the nightly full check recorded the 3 drifted rows");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_node_starting_after_the_nightly_time_runs_the_missed_check_once_and_a_restart_the_same_day_does_not_run_it_again()
    {
        await DriftedProjection.CreateAsync(db, "late_case");
        var settings = new Dictionary<string, string?>
        {
            ["ReadModelKit:Hosting:Maintenance:Enabled"] = "true",
            ["ReadModelKit:Hosting:Maintenance:Interval"] = "00:00:00.100",
            ["ReadModelKit:Hosting:Maintenance:Drift:NightlyFullCheck"] = "true",
            // The check was due a minute ago; the last one ran a day ago (this node was down at check time).
            ["ReadModelKit:Hosting:Maintenance:Drift:NightlyAt"] = DateTimeOffset.UtcNow.AddMinutes(-1).TimeOfDay.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        };
        IHost Node(bool sampled) => TestNode.Builder(db, [TestNode.Contract("late_case", "late-case")], new Dictionary<string, string?>(settings)
        {
            ["ReadModelKit:Hosting:Maintenance:Drift:SampledChecks"] = sampled ? "true" : "false",
            ["ReadModelKit:Hosting:Maintenance:Drift:SampleInterval"] = "00:00:00.100",
        }, library: "late_drift", store: o => o.Map("late_case", DriftedProjection.Mapping("late_case"))).Build();
        var incidents = $"SELECT count(*) FROM \"{db.Schema}_late_drift\".drift_incident WHERE projection_name = 'late_case' AND repaired_at IS NULL";

        using (var late = Node(sampled: false))
        {
            var store = late.Services.GetRequiredService<NpgsqlReadModelStore>();
            await store.InitializeAsync();
            var yesterday = DateTimeOffset.UtcNow.AddDays(-1).AddMinutes(-2);
            Assert.True(await new MaintenanceRunLog(store).TryRecordAsync(MaintenanceService.NightlyTask, yesterday, yesterday));

            await late.StartAsync();
            await Eventually.TrueAsync(async () => await db.ScalarAsync<long>(incidents) == 3, TimeSpan.FromSeconds(30), "the missed nightly full check recorded the 3 drifted rows");
            await late.StopAsync();
        }

        using var restarted = Node(sampled: true);
        var log = new MaintenanceRunLog(restarted.Services.GetRequiredService<NpgsqlReadModelStore>());
        var ran = await log.GetLastRunAsync(MaintenanceService.NightlyTask);
        Assert.True(ran > DateTimeOffset.UtcNow.AddMinutes(-5));
        var restart = DateTimeOffset.UtcNow;
        await restarted.StartAsync();
        // Each pass decides on the nightly check before it records a sampled one: once a sample is recorded, the nightly check was skipped.
        await Eventually.TrueAsync(async () => await log.GetLastRunAsync(MaintenanceService.SampleTask) > restart, TimeSpan.FromSeconds(30), "the restarted node ran a maintenance pass");
        await restarted.StopAsync();
        Assert.Equal(ran, await log.GetLastRunAsync(MaintenanceService.NightlyTask));
    }
}
