using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Runner;

/// <summary>Faults production meets: a database unreachable at start-up, replicas configured alike, a cut under a read-your-writes wait.</summary>
public sealed class ProductionFaultTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    /// <summary>A store for <paramref name="projection"/> whose connections all go through <paramref name="proxy"/>.</summary>
    private async Task<(NpgsqlDataSource DataSource, NpgsqlReadModelStore Store)> BehindAsync(TcpProxy proxy, string projection)
    {
        var dataSource = NpgsqlDataSource.Create(proxy.ConnectionString(db, "rmk-proxy-" + projection));
        var store = await OutboxFixtures.StoreAsync(db, dataSource, new CaseListProjection(OutboxFixtures.Contract(projection, projection)), projection + "_rm");
        return (dataSource, store);
    }

    [Fact]
    public async Task A_runner_started_while_the_database_is_unreachable_starts_applying_once_it_returns()
    {
        const string projection = "unreachable";
        var writer = await OutboxFixtures.NewProjectionAsync(db, projection);
        await using var proxy = TcpProxy.Start(db);
        var (dataSource, store) = await BehindAsync(proxy, projection);
        await using var dataSourceScope = dataSource;
        proxy.Cut();
        var runner = new ProjectionRunner(store, projection, OutboxFixtures.FastRunner("unreachable-node", partitions: 2));

        await using (var running = OutboxFixtures.Start(runner))
        {
            await Eventually.TrueAsync(() => runner.Status.Errors >= 3, Converge, "the runner retried its start-up while the database was unreachable");
            Assert.False(running.Task.IsCompleted, "the runner is still running, not ended by the unreachable database");
            var events = new[] { Upserted("t1", 1, 1, "open"), Upserted("t1", 2, 1, "open"), Upserted("t2", 3, 1, "open") };
            var last = await OutboxFixtures.AppendAsync(writer, db.DataSource, projection, events);
            proxy.Restore();

            await writer.Freshness.WaitForPositionAsync(projection, last, Converge);

            Assert.Equal(OutboxFixtures.Reference(events), await ReadModelRows.ReadAsync(db.DataSource, projection + "_rm"));
            Assert.Equal(3, runner.Status.EventsApplied);
            Assert.True(runner.Status.Running);
            Assert.Contains("NpgsqlException", runner.Status.LastError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Two_runners_configured_with_the_same_id_get_distinct_ids_and_share_the_partitions_without_overlap()
    {
        const string projection = "twins";
        var store = await OutboxFixtures.NewProjectionAsync(db, projection);
        var a = new ProjectionRunner(store, projection, OutboxFixtures.FastRunner("replica", partitions: 4));
        var b = new ProjectionRunner(store, projection, OutboxFixtures.FastRunner("replica", partitions: 4));
        Assert.NotEqual(a.NodeId, b.NodeId);
        Assert.All(new[] { a.NodeId, b.NodeId }, id => Assert.StartsWith("replica-", id, StringComparison.Ordinal));

        var all = new List<EventEnvelope>();
        await using (OutboxFixtures.Start(a))
        await using (OutboxFixtures.Start(b))
        {
            // The lease table is the truth: each partition has one owner, and with distinct ids the fair share splits them two and two.
            await Eventually.TrueAsync(
                async () => await db.ScalarAsync<long>($"""
                    SELECT count(*) FROM (
                        SELECT owner FROM "{db.Schema}_rmk".lease
                        WHERE projection_name = '{projection}' AND expires_at > now()
                        GROUP BY owner HAVING count(*) = 2) two_each
                    """) == 2,
                Converge,
                "the two replicas hold two partitions each");
            var owners = await db.ScalarAsync<string[]>($"SELECT array_agg(DISTINCT owner ORDER BY owner) FROM \"{db.Schema}_rmk\".lease WHERE projection_name = '{projection}'");
            Assert.Equal(new[] { a.NodeId, b.NodeId }.Order(StringComparer.Ordinal), owners!);

            var last = StreamPosition.Start;
            for (var i = 0; i < 20; i++)
            {
                var events = new[] { Upserted("t1", i, 1, "open"), Upserted("t2", i, 1, "open") };
                all.AddRange(events);
                last = await OutboxFixtures.AppendAsync(store, db.DataSource, projection, events);
            }

            await store.Freshness.WaitForPositionAsync(projection, last, Converge);
            Assert.Equal(OutboxFixtures.Reference(all), await ReadModelRows.ReadAsync(db.DataSource, projection + "_rm"));
            // A runner counts a batch after its commit, so the counters may trail the checkpoint for a moment; they must reach the
            // number of events and never pass it (an event applied twice would).
            await Eventually.TrueAsync(
                () => a.Status.EventsApplied + b.Status.EventsApplied >= all.Count,
                Converge,
                "the two replicas counted every applied event");
            Assert.Equal(all.Count, a.Status.EventsApplied + b.Status.EventsApplied);
        }
    }

    [Fact]
    public async Task A_read_your_writes_wait_rides_through_a_cut_connection()
    {
        const string projection = "ryw_cut";
        var writer = await OutboxFixtures.NewProjectionAsync(db, projection);
        await using var proxy = TcpProxy.Start(db);
        var (dataSource, reader) = await BehindAsync(proxy, projection);
        await using var dataSourceScope = dataSource;
        var position = await OutboxFixtures.AppendAsync(writer, db.DataSource, projection, Upserted("t1", 1, 1, "open"));

        proxy.Cut();
        var wait = reader.Freshness.WaitForPositionAsync(projection, position, Converge);
        await Eventually.TrueAsync(() => proxy.Refused >= 2, Converge, "the wait tried the database while it was unreachable");
        Assert.False(wait.IsCompleted, "the wait is still waiting, not failed by the cut");
        var runner = new ProjectionRunner(writer, projection, OutboxFixtures.FastRunner("ryw-node"));
        await using (OutboxFixtures.Start(runner))
        {
            await writer.Freshness.WaitForPositionAsync(projection, position, Converge);
            proxy.Restore();

            await wait;
        }

        Assert.Equal([new CaseRow("t1", 1, "open", null, 1, false)], await ReadModelRows.ReadAsync(db.DataSource, projection + "_rm"));
    }
}
