using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Contracts;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Health;

public sealed class HealthCheckTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly FreshnessContract Tight = new(ExpectedLag: TimeSpan.FromSeconds(1), MaxLag: TimeSpan.FromHours(1));

    [Fact]
    public async Task A_projection_goes_from_Healthy_to_Degraded_behind_a_long_transaction_and_back()
    {
        await TestNode.CreateTablesAsync(db, "hc_frozen");
        using var host = Build([TestNode.Contract("hc_frozen", "hc-frozen", Tight)], perProjection: true, library: "frozen");
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await TestNode.AppendAsync(host.Services, "hc-frozen", "t1", 3, DateTimeOffset.UtcNow);
        await TestNode.RowsAsync(db, "hc_frozen", 3);
        await StatusAsync(health, "readmodelkit:hc_frozen", HealthStatus.Healthy);

        // A transaction that appended and stays open holds back every event committed after it started.
        var store = host.Services.GetRequiredService<NpgsqlReadModelStore>();
        await using var open = await db.DataSource.OpenConnectionAsync();
        await using var slow = await open.BeginTransactionAsync();
        await store.Outbox.AppendAsync(open, slow, "hc-frozen", [CaseListProjection.Upserted("t9", 1, 1, "slow")]);
        await TestNode.AppendAsync(host.Services, "hc-frozen", "t2", 2, DateTimeOffset.UtcNow);

        // Lag above the expected 1 s can make it Degraded a moment before the open transaction is old enough to be named.
        var degraded = await StatusAsync(health, "readmodelkit:hc_frozen", HealthStatus.Degraded, "watermark frozen");
        Assert.Equal("Degraded", degraded.Data["hc_frozen"]);
        Assert.Contains((string[])degraded.Data["hc_frozen.problems"], p => p.Contains("Nothing is skipped", StringComparison.Ordinal));

        await slow.CommitAsync();
        await TestNode.RowsAsync(db, "hc_frozen", 6);
        await StatusAsync(health, "readmodelkit:hc_frozen", HealthStatus.Healthy);
        await host.StopAsync();
    }

    [Fact]
    public async Task Pending_events_past_the_max_lag_that_no_runner_holds_are_Unhealthy_with_every_reason()
    {
        await TestNode.CreateTablesAsync(db, "hc_late", "hc_fine");
        using var host = Build([TestNode.Contract("hc_late", "hc-late", Tight), TestNode.Contract("hc_fine", "hc-fine", Tight)], perProjection: false, library: "late", run: false);
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var all = await StatusAsync(health, "readmodelkit", HealthStatus.Healthy);
        Assert.Equal("2 projection(s) healthy: hc_late, hc_fine.", all.Description);

        await TestNode.AppendAsync(host.Services, "hc-late", "t1", 2, DateTimeOffset.UtcNow.AddHours(-2));

        var unhealthy = await StatusAsync(health, "readmodelkit", HealthStatus.Unhealthy);
        Assert.Contains("hc_late: lag", unhealthy.Description, StringComparison.Ordinal);
        Assert.Contains("exceeds the contract's max lag 3600 s (2 event(s) pending)", unhealthy.Description, StringComparison.Ordinal);
        Assert.Contains("hc_late: partition 0 has 2 pending event(s) but no runner holds it", unhealthy.Description, StringComparison.Ordinal);
        Assert.Equal("Unhealthy", unhealthy.Data["hc_late"]);
        Assert.Equal("Healthy", unhealthy.Data["hc_fine"]);
        Assert.Equal(2L, unhealthy.Data["hc_late.pending_events"]);
        await host.StopAsync();
    }

    [Fact]
    public void Naming_an_unregistered_projection_says_which_are_registered()
    {
        var services = new ServiceCollection();
        services.AddReadModelKit(kit => kit.AddProjection(new CaseListProjection(TestNode.Contract("hc_a", "s")))).UseNpgsql(db.DataSource);

        var error = Assert.Throws<ReadModelKit.Exceptions.ReadModelKitException>(() => services.AddHealthChecks().AddReadModelKit(o => o.Projections.Add("hc_b")));

        Assert.Equal("AddHealthChecks().AddReadModelKit() names projection(s) that are not registered: hc_b. Registered: hc_a.", error.Message);
    }

    private IHost Build(ProjectionContract[] contracts, bool perProjection, string library, bool run = true)
    {
        var builder = TestNode.Builder(db, contracts, configure: o => o.RunProjections = run, library: library);
        builder.Services.AddHealthChecks().AddReadModelKit(o => o.PerProjection = perProjection);
        return builder.Build();
    }

    private static async Task<HealthReportEntry> StatusAsync(HealthCheckService health, string check, HealthStatus expected, string? saying = null)
    {
        HealthReportEntry entry = default;
        await Eventually.TrueAsync(
            async () =>
            {
                entry = (await health.CheckHealthAsync(r => r.Name == check)).Entries[check];
                return entry.Status == expected && (saying is null || (entry.Description ?? string.Empty).Contains(saying, StringComparison.Ordinal));
            },
            TimeSpan.FromSeconds(30),
            $"{check} is {expected}{(saying is null ? string.Empty : $" saying '{saying}'")}");
        return entry;
    }
}
