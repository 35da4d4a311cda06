using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Projections;

namespace ReadModelKit.Hosting.Tests.Commands;

public sealed class DeadLetterCommandTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Dlq_lists_skips_and_replays_dead_letters_with_their_exit_codes()
    {
        await TestNode.CreateTablesAsync(db, "dl_case");
        using var host = TestNode.Builder(db, [TestNode.Contract("dl_case", "dl-case")], library: "dlq", store: o => o.Apply = new ApplierOptions { MaxTransientRetries = 0, MaxHandlerAttempts = 1 }).Build();
        var projection = (CaseListProjection)host.Services.GetServices<IProjection>().Single();
        projection.FailuresLeft = int.MaxValue;
        await host.StartAsync();
        var store = host.Services.GetRequiredService<NpgsqlReadModelStore>();
        var poisonA = CaseListProjection.Envelope("Poison", "t1", 1, 1, 0, null, new { tenant = "t1", @case = 1 });
        var flaky = CaseListProjection.Envelope("Flaky", "t1", 2, 1, 0, null, new { tenant = "t1", @case = 2, status = "fixed" });
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.Outbox.AppendAsync(connection, transaction, "dl-case", [poisonA, flaky]);
            await transaction.CommitAsync();
        }

        await Eventually.TrueAsync(async () => (await store.DeadLetters.ListAsync("dl_case")).Count == 2, TimeSpan.FromSeconds(30), "both failing events are dead-lettered");
        await host.StopAsync();

        var (listCode, list) = await Cli.RunAsync(host, "dlq", "list", "--projection", "dl_case");
        Assert.Equal(ReadModelKitExitCodes.Ok, listCode);
        Assert.Contains(poisonA.EventId.ToString(), list, StringComparison.Ordinal);
        Assert.Contains("2 open dead letter(s).", list, StringComparison.Ordinal);

        var (_, json) = await Cli.RunAsync(host, "dlq", "list", "--json");
        var rows = JsonDocument.Parse(json).RootElement.EnumerateArray().ToList();
        Assert.Equal(new[] { poisonA.EventId, flaky.EventId }.Order(), rows.Select(r => r.GetProperty("eventId").GetGuid()).Order());
        Assert.All(rows, r => Assert.Equal("dead", r.GetProperty("status").GetString()));

        var (badCode, bad) = await Cli.RunAsync(host, "dlq", "skip", "--projection", "dl_case", "--event", "not-a-guid");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, badCode);
        Assert.Contains("Bad event id 'not-a-guid': type the event's GUID as dlq list shows it", bad, StringComparison.Ordinal);

        var (missingCode, missing) = await Cli.RunAsync(host, "dlq", "replay", "--key", "t1/1");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, missingCode);
        Assert.Contains("--projection", missing, StringComparison.Ordinal);

        var (skipCode, skip) = await Cli.RunAsync(host, "dlq", "skip", "--projection", "dl_case", "--event", poisonA.EventId.ToString());
        Assert.Equal(ReadModelKitExitCodes.Ok, skipCode);
        Assert.Contains("dl_case: skipped", skip, StringComparison.Ordinal);

        var (againCode, again) = await Cli.RunAsync(host, "dlq", "skip", "--projection", "dl_case", "--event", poisonA.EventId.ToString());
        Assert.Equal(ReadModelKitExitCodes.Failed, againCode);
        Assert.Contains(poisonA.EventId.ToString(), again, StringComparison.Ordinal);

        // The dependency is back: replaying the key applies the event.
        projection.FailuresLeft = 0;
        var (replayCode, replay) = await Cli.RunAsync(host, "dlq", "replay", "--projection", "dl_case", "--key", "t1/2", "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, replayCode);
        Assert.Equal(1, JsonDocument.Parse(replay).RootElement.GetProperty("applied").GetInt32());
        Assert.Equal(0, JsonDocument.Parse(replay).RootElement.GetProperty("released").GetArrayLength());
        Assert.Equal("fixed", await db.ScalarAsync<string>("SELECT status FROM dl_case_rm WHERE tenant_id = 't1' AND case_id = 2"));
        Assert.Contains("No open dead letters.", (await Cli.RunAsync(host, "dlq", "list")).Output, StringComparison.Ordinal);
    }
}
