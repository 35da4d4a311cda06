using System.Text.Json;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Commands;

public sealed class PruneCommandTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Prune_deletes_outbox_events_every_checkpoint_has_passed_and_reports_what_held_the_rest()
    {
        await TestNode.CreateTablesAsync(db, "pr_case");
        using var host = TestNode.Builder(db, [TestNode.Contract("pr_case", "pr-case")], library: "prune").Build();
        await host.StartAsync();
        await TestNode.AppendAsync(host.Services, "pr-case", "t1", 5, DateTimeOffset.UtcNow.AddDays(-2));
        await TestNode.RowsAsync(db, "pr_case", 5);
        await host.StopAsync();
        await TestNode.AppendAsync(host.Services, "pr-case", "t1", 2, DateTimeOffset.UtcNow.AddDays(-2), firstCase: 6);

        var (code, json) = await Cli.RunAsync(host, "prune", "--json");

        Assert.Equal(ReadModelKitExitCodes.Ok, code);
        var report = JsonDocument.Parse(json).RootElement;
        var outbox = Assert.Single(report.GetProperty("outbox").EnumerateArray());
        Assert.Equal(("pr-case", 5L, "projection 'pr_case'"), (outbox.GetProperty("stream").GetString(), outbox.GetProperty("deleted").GetInt64(), outbox.GetProperty("heldBy").GetString()));
        Assert.Equal(0, report.GetProperty("inbox").GetProperty("pr_case").GetInt64());
        Assert.Equal(2, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_prune\".outbox"));

        var (again, table) = await Cli.RunAsync(host, "prune");
        Assert.Equal(ReadModelKitExitCodes.Ok, again);
        Assert.Contains("outbox stream pr-case", table, StringComparison.Ordinal);
        Assert.Contains("held by projection 'pr_case'", table, StringComparison.Ordinal);
    }
}
