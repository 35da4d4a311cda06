using ReadModelKit.Events;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.DeadLetters;

/// <summary>Replaying or skipping a dead letter of a partitioned projection touches its own partition's rows only and moves no checkpoint.</summary>
public sealed class PartitionedReplayTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private async Task<(CaseListProjection, NpgsqlReadModelStore)> PartitionedAsync(string name, int partitions)
    {
        var projection = new CaseListProjection(OutboxFixtures.Contract(name, name));
        await OutboxFixtures.CreateTableAsync(db, name + "_rm");
        var store = await OutboxFixtures.StoreAsync(db, db.DataSource, projection, name + "_rm");
        await new PartitionLeases(store.DataSource, store.SchemaIdentifier, name, partitions, "setup", TimeSpan.FromSeconds(30)).EnsureAsync(CancellationToken.None);
        return (projection, store);
    }

    /// <summary>The first case id of tenant t1 whose ordering key falls in <paramref name="partition"/>, computed by PostgreSQL's own hash.</summary>
    private async Task<int> CaseInPartitionAsync(int partition, int partitions) =>
        await db.ScalarAsync<int>($"SELECT min(g) FROM generate_series(1, 1000) g WHERE mod(mod(hashtextextended('t1/' || g, 0), {partitions}) + {partitions}, {partitions}) = {partition}");

    private Task<long> CheckpointAsync(string projection, int partition) =>
        db.ScalarAsync<long>($"SELECT position FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = '{projection}' AND partition_id = {partition}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Resolving_a_dead_letter_in_partition_1_leaves_every_checkpoint_where_it_was(bool skip)
    {
        var name = skip ? "replay_part_skip" : "replay_part_replay";
        var (projection, store) = await PartitionedAsync(name, partitions: 2);
        var applier = store.GetApplier(name);
        var (inOne, inZero) = (await CaseInPartitionAsync(1, 2), await CaseInPartitionAsync(0, 2));
        var poison = Envelope(skip ? "Poison" : "Flaky", "t1", inOne, 1, 100, null, new { tenant = "t1", @case = inOne, status = "flaky" });
        var behind = Upserted("t1", inOne, 2, "behind", position: 120);
        var other = Upserted("t1", inZero, 1, "other", position: 50);
        projection.FailuresLeft = int.MaxValue;

        var one = await applier.ApplyAsync([poison, behind], StreamPosition.Start, partition: 1);
        var zero = await applier.ApplyAsync([other], StreamPosition.Start, partition: 0);
        projection.FailuresLeft = 0;
        var resolved = skip
            ? await store.DeadLetters.SkipAsync(name, poison.EventId)
            : await store.DeadLetters.ReplayAsync(name, poison.OrderingKey);

        Assert.Equal((1, 1), (one.DeadLettered, one.Parked));
        Assert.Equal(1, zero.Applied);
        Assert.Equal(skip ? 1 : 2, resolved.Applied);
        Assert.Equal(50, await CheckpointAsync(name, 0));
        Assert.Equal(120, await CheckpointAsync(name, 1));
        Assert.Empty(await store.DeadLetters.ListAsync(name));
        Assert.Equal(
            new[] { new CaseRow("t1", inOne, "behind", null, 2, false), new CaseRow("t1", inZero, "other", null, 1, false) }.OrderBy(r => r.CaseId),
            await ReadModelRows.ReadAsync(db.DataSource, name + "_rm"));

        // Partition 0 still applies what follows its own checkpoint.
        var next = await applier.ApplyAsync([Upserted("t1", inZero, 2, "later", position: 80)], new StreamPosition(50), partition: 0);
        Assert.Equal((1, 80L), (next.Applied, next.Checkpoint.Value));
    }
}
