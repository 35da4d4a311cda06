using ReadModelKit.Events;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Runner;

public sealed class ConnectionLossTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task The_runner_survives_its_connections_being_killed_and_converges()
    {
        const string projection = "loss";
        var writer = await OutboxFixtures.NewProjectionAsync(db, projection);
        var application = "rmk-loss-" + Guid.NewGuid().ToString("N")[..8];
        await using var runnerSource = OutboxFixtures.DataSource(db, application);
        var store = await OutboxFixtures.StoreAsync(db, runnerSource, new CaseListProjection(OutboxFixtures.Contract(projection, projection)), projection + "_rm");
        var runner = new ProjectionRunner(store, projection, OutboxFixtures.FastRunner("loss-node", partitions: 2, batchSize: 10));
        var all = new List<EventEnvelope>();
        var killed = 0L;
        var last = StreamPosition.Start;
        await using (OutboxFixtures.Start(runner))
        {
            for (var round = 0; round < 6; round++)
            {
                // Read before appending: the runner may apply the round's events before the appends return.
                var batches = runner.Status.Batches;
                for (var i = 0; i < 10; i++)
                {
                    var events = Enumerable.Range(0, 5).Select(k => Upserted("t1", round * 50 + i * 5 + k, 1, "open")).ToArray();
                    all.AddRange(events);
                    last = await OutboxFixtures.AppendAsync(writer, db.DataSource, projection, events);
                }

                await Eventually.TrueAsync(() => runner.Status.Batches > batches, TimeSpan.FromSeconds(60), "the runner applies something before its connections are killed");
                killed += await db.ScalarAsync<long>($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{application}'");
            }

            await writer.Freshness.WaitForPositionAsync(projection, last, TimeSpan.FromSeconds(60));

            Assert.True(killed >= 6, $"the runner's backends were killed ({killed})");
            Assert.True(runner.Status.Running);
            Assert.Equal(OutboxFixtures.Reference(all), await ReadModelRows.ReadAsync(db.DataSource, projection + "_rm"));
        }
    }
}
