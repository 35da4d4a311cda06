using ReadModelKit.Hosting.Tests.Infrastructure;
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
}
