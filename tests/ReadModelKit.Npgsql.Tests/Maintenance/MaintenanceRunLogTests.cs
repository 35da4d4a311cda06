using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Maintenance;

public sealed class MaintenanceRunLogTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_daily_task_is_recorded_once_per_period_whichever_node_asks_first()
    {
        var store = await StoreFactory.CreateAsync(db, new CaseListProjection(CaseListProjection.ContractFor("mrl_case", IdempotencyMode.Inbox)), "mrl_case");
        var log = new MaintenanceRunLog(store);
        var dueDay1 = new DateTimeOffset(2026, 7, 5, 3, 0, 0, TimeSpan.Zero);
        Assert.Null(await log.GetLastRunAsync("nightly"));

        // Eight nodes asking at once for the same period: exactly one runs the task.
        var at = dueDay1.AddMinutes(5);
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => log.TryRecordAsync("nightly", at.AddMilliseconds(i), dueDay1))));
        Assert.Single(claims, c => c);
        var first = await log.GetLastRunAsync("nightly");
        Assert.InRange(first!.Value, at, at.AddMilliseconds(7));

        Assert.False(await log.TryRecordAsync("nightly", dueDay1.AddHours(20), dueDay1));
        Assert.Equal(first, await log.GetLastRunAsync("nightly"));
        Assert.True(await log.TryRecordAsync("nightly", dueDay1.AddDays(1).AddMinutes(1), dueDay1.AddDays(1)));
        Assert.Equal(dueDay1.AddDays(1).AddMinutes(1), await log.GetLastRunAsync("nightly"));

        // Tasks are independent.
        Assert.True(await log.TryRecordAsync("sampled", at, at.AddHours(-1)));
        Assert.Equal(dueDay1.AddDays(1).AddMinutes(1), await log.GetLastRunAsync("nightly"));
    }
}
