using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Runner;

public sealed class MultiNodeTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    /// <summary>One simulated process: its own data source, projection instance, clock, store and runner.</summary>
    private sealed record Node(NpgsqlDataSource DataSource, GatedProjection Projection, TestClock Clock, NpgsqlReadModelStore Store, RunningRunner Running)
    {
        public ProjectionRunnerStatus Status => Running.Runner.Status;
    }

    private async Task<Node> StartNodeAsync(string projection, string nodeId, int partitions)
    {
        var dataSource = OutboxFixtures.DataSource(db, nodeId);
        var gated = new GatedProjection(new CaseListProjection(OutboxFixtures.Contract(projection, projection)));
        var clock = new TestClock();
        var store = await OutboxFixtures.StoreAsync(db, dataSource, gated, projection + "_rm", clock);
        var runner = new ProjectionRunner(store, projection, OutboxFixtures.FastRunner(nodeId, partitions, batchSize: 20), clock);
        return new Node(dataSource, gated, clock, store, OutboxFixtures.Start(runner));
    }

    /// <summary>Random commands over 30 cases: upserts with growing versions, some deletes.</summary>
    private static IEnumerable<EventEnvelope[]> Commands(int seed, int count, Dictionary<int, long> versions)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            yield return Enumerable.Range(0, random.Next(1, 5)).Select(_ =>
            {
                var caseId = random.Next(1, 31);
                var version = versions[caseId] = versions.GetValueOrDefault(caseId) + 1;
                return random.Next(8) == 0 ? Deleted("t1", caseId, version) : Upserted("t1", caseId, version, "s" + version);
            }).ToArray();
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_node_frozen_mid_batch_loses_its_partitions_and_its_late_commit_is_fenced_while_the_others_converge(int nodes)
    {
        var projection = $"nodes_{nodes}";
        var partitions = nodes * 2;
        var writer = await OutboxFixtures.NewProjectionAsync(db, projection);
        var all = new List<EventEnvelope>();
        var versions = new Dictionary<int, long>();
        var commands = Commands(nodes, 400, versions).GetEnumerator();

        async Task<StreamPosition> WriteAsync(int count)
        {
            var last = StreamPosition.Start;
            for (var i = 0; i < count && commands.MoveNext(); i++)
            {
                all.AddRange(commands.Current);
                last = await OutboxFixtures.AppendAsync(writer, db.DataSource, projection, commands.Current);
            }

            return last;
        }

        var started = new List<Node>();
        try
        {
            for (var i = 0; i < nodes; i++)
            {
                started.Add(await StartNodeAsync(projection, $"{projection}-node-{i}", partitions));
            }

            await Eventually.TrueAsync(() => started.All(n => n.Status.Owned.Count == 2), Converge, "every node holds its fair share of two partitions");
            await writer.Freshness.WaitForPositionAsync(projection, await WriteAsync(40), Converge);

            // Freeze the victim in the middle of a batch: its projection blocks and its heartbeats stop, as in a long pause.
            var victim = started[^1];
            victim.Projection.Close();
            victim.Clock.TimersFrozen = true;
            var deadline = DateTime.UtcNow + Converge;
            while (!victim.Projection.HasWaiter && DateTime.UtcNow < deadline)
            {
                await WriteAsync(1);
            }

            Assert.True(victim.Projection.HasWaiter, "the victim started a batch");
            var appliedByVictim = victim.Status.EventsApplied;
            await Eventually.TrueAsync(
                async () => await db.ScalarAsync<long>($"""
                    SELECT count(*) FROM "{db.Schema}_rmk".lease
                    WHERE projection_name = '{projection}' AND owner <> '{victim.Status.NodeId}' AND expires_at > now()
                    """) == partitions,
                Converge,
                "the survivors took over every partition");

            // The victim wakes up and tries to commit the batch it was in: the fence must refuse it.
            victim.Projection.Open();
            await Eventually.TrueAsync(() => victim.Status.FencedBatches >= 1, Converge, "the victim's late batch is fenced");
            Assert.Equal(appliedByVictim, victim.Status.EventsApplied);
            Assert.Equal(0, victim.Status.CheckpointConflicts);
            await victim.Running.DisposeAsync();

            var last = await WriteAsync(60);
            await writer.Freshness.WaitForPositionAsync(projection, last, Converge);

            // Exactly once across all nodes. A survivor may be fenced too when its own heartbeat runs late on a loaded machine;
            // the invariant is that no fenced batch wrote anything, which the two equalities below state.
            Assert.Equal(OutboxFixtures.Reference(all), await ReadModelRows.ReadAsync(db.DataSource, projection + "_rm"));
            Assert.Equal(all.Count, started.Sum(n => n.Status.EventsApplied));
            Assert.True(victim.Status.LeasesLost >= 1);
        }
        finally
        {
            foreach (var node in started)
            {
                node.Projection.Open();
                await node.Running.DisposeAsync();
                await node.DataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_node_that_joins_later_gets_half_of_the_partitions()
    {
        const string projection = "joining";
        await OutboxFixtures.CreateTableAsync(db, projection + "_rm");
        var first = await StartNodeAsync(projection, "joining-a", 4);
        try
        {
            await Eventually.TrueAsync(() => first.Status.Owned.Count == 4, Converge, "the first node holds all four partitions");
            var second = await StartNodeAsync(projection, "joining-b", 4);
            try
            {
                await Eventually.TrueAsync(() => first.Status.Owned.Count == 2 && second.Status.Owned.Count == 2, Converge, "the partitions are split two and two");
                Assert.Empty(first.Status.Owned.Select(l => l.Partition).Intersect(second.Status.Owned.Select(l => l.Partition)));
            }
            finally
            {
                await second.Running.DisposeAsync();
                await second.DataSource.DisposeAsync();
            }

            await Eventually.TrueAsync(() => first.Status.Owned.Count == 4, Converge, "the released partitions come back to the first node");
        }
        finally
        {
            await first.Running.DisposeAsync();
            await first.DataSource.DisposeAsync();
        }
    }
}
