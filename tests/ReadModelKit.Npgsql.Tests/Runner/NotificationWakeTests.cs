using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Runner;

/// <summary>
/// Runs alone: the horizon is cluster-wide, so another class's open writer transaction would hold the event back and the
/// runner would then (correctly) wait for its idle poll, which is what this test must rule out.
/// </summary>
[CollectionDefinition(nameof(NotificationWakeTests), DisableParallelization = true)]
public sealed class NotificationWakeCollection : ICollectionFixture<PostgresSchemaFixture>;

[Collection(nameof(NotificationWakeTests))]
public sealed class NotificationWakeTests(PostgresSchemaFixture db)
{
    [Fact]
    public async Task A_notification_wakes_an_idle_runner_long_before_its_idle_poll()
    {
        var store = await OutboxFixtures.NewProjectionAsync(db, "wake");
        var options = OutboxFixtures.FastRunner("wake-node");
        options.MinIdleDelay = options.MaxIdleDelay = TimeSpan.FromSeconds(40);
        await using (OutboxFixtures.Start(new ProjectionRunner(store, "wake", options)))
        {
            await Eventually.TrueAsync(
                async () => await db.ScalarAsync<string>($"SELECT state FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = 'wake'") == "Live",
                TimeSpan.FromSeconds(60),
                "the runner made its first pass and sleeps");

            var token = await OutboxFixtures.AppendAsync(store, db.DataSource, "wake", Upserted("t1", 1, 1, "open"));

            // Well under the 40 s idle poll: only the notification can have woken it.
            await store.Freshness.WaitForPositionAsync("wake", token, TimeSpan.FromSeconds(20));
        }
    }
}
