using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Events;
using ReadModelKit.Hosting.Maintenance;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Maintenance;

public sealed class OutboxPruningTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly DateTimeOffset TwoDaysAgo = DateTimeOffset.UtcNow.AddDays(-2);


    [Fact]
    public async Task The_outbox_is_pruned_only_behind_the_checkpoints_of_every_projection_reading_it()
    {
        await TestNode.CreateTablesAsync(db, "p_fast", "p_slow");
        var contracts = new[] { TestNode.Contract("p_fast", "p-stream"), TestNode.Contract("p_slow", "p-stream") };

        // Both projections read the first batch.
        using (var both = TestNode.Builder(db, contracts).Build())
        {
            await both.StartAsync();
            await TestNode.AppendAsync(both.Services, "p-stream", "t1", 10, TwoDaysAgo);
            await TestNode.RowsAsync(db, "p_fast", 10);
            await TestNode.RowsAsync(db, "p_slow", 10);
            await both.StopAsync();
        }

        // Only p_fast runs while the second batch arrives: p_slow's checkpoint still sits after the first batch.
        using var fastOnly = TestNode.Builder(db, contracts, new Dictionary<string, string?> { ["ReadModelKit:Hosting:Projections:0"] = "p_fast" }).Build();
        await fastOnly.StartAsync();
        var second = await TestNode.AppendAsync(fastOnly.Services, "p-stream", "t2", 7, TwoDaysAgo);
        await TestNode.RowsAsync(db, "p_fast", 17);
        var pruner = fastOnly.Services.GetRequiredService<OutboxPruner>();

        var result = await pruner.PruneAsync("p-stream", TimeSpan.Zero, batchSize: 3);

        Assert.Equal(10, result.Deleted);
        Assert.Equal(4, result.Batches);
        Assert.Equal("projection 'p_slow'", result.HeldBy);
        var left = await EventIdsAsync("p-stream");
        Assert.Equal(second.Select(e => e.EventId).Order(), left.Order());
        Assert.Equal(0, (await pruner.PruneAsync("p-stream", TimeSpan.Zero)).Deleted);
        await fastOnly.StopAsync();
    }

    [Fact]
    public async Task Events_younger_than_the_minimum_age_and_events_a_hold_needs_are_kept()
    {
        await TestNode.CreateTablesAsync(db, "p_young");
        var hold = new FixedHold();
        using var host = TestNode.Builder(db, [TestNode.Contract("p_young", "p-young")], before: s => s.AddSingleton<IOutboxRetentionHold>(hold), library: "young").Build();
        await host.StartAsync();
        await TestNode.AppendAsync(host.Services, "p-young", "t1", 4, DateTimeOffset.UtcNow);
        await TestNode.AppendAsync(host.Services, "p-young", "t1", 5, TwoDaysAgo, firstCase: 5);
        await TestNode.RowsAsync(db, "p_young", 9);
        var pruner = host.Services.GetRequiredService<OutboxPruner>();

        hold.UpTo = StreamPosition.Start;
        var held = await pruner.PruneAsync("p-young", TimeSpan.Zero);
        Assert.Equal((0L, "hold 'test hold'"), (held.Deleted, held.HeldBy));

        hold.UpTo = null;
        var aged = await pruner.PruneAsync("p-young", TimeSpan.FromDays(1));
        Assert.Equal(5, aged.Deleted);
        Assert.Equal(4, (await EventIdsAsync("p-young", "young")).Count);
        await host.StopAsync();
    }

    [Fact]
    public async Task Scheduled_maintenance_prunes_what_every_reader_has_passed()
    {
        await TestNode.CreateTablesAsync(db, "p_sched");
        using var host = TestNode.Builder(db, [TestNode.Contract("p_sched", "p-sched")], new Dictionary<string, string?>
        {
            ["ReadModelKit:Hosting:Maintenance:Enabled"] = "true",
            ["ReadModelKit:Hosting:Maintenance:Interval"] = "00:00:00.200",
            ["ReadModelKit:Hosting:Maintenance:OutboxMinimumAge"] = "1.00:00:00",
        }, library: "sched").Build();
        await host.StartAsync();
        await TestNode.AppendAsync(host.Services, "p-sched", "t1", 6, TwoDaysAgo);
        await TestNode.RowsAsync(db, "p_sched", 6);

        await Eventually.TrueAsync(async () => (await EventIdsAsync("p-sched", "sched")).Count == 0, TimeSpan.FromSeconds(30), "scheduled maintenance pruned the stream");

        var report = await host.Services.GetRequiredService<ReadModelKitMaintenance>().PruneAsync();
        Assert.Equal(0, report.TotalOutboxEvents);
        Assert.Equal("p-sched", Assert.Single(report.Outbox).Stream);
        await host.StopAsync();
    }

    private async Task<List<Guid>> EventIdsAsync(string stream, string library = "rmk")
    {
        await using var command = db.DataSource.CreateCommand($"SELECT event_id FROM \"{db.Schema}_{library}\".outbox WHERE stream = '{stream}'");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private sealed class FixedHold : IOutboxRetentionHold
    {
        public StreamPosition? UpTo { get; set; }

        public string Name => "test hold";

        public ValueTask<StreamPosition?> PrunableUpToAsync(string stream, CancellationToken cancellationToken) => ValueTask.FromResult(UpTo);
    }
}
