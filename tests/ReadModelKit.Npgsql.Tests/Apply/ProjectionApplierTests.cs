using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Apply;

public sealed class ProjectionApplierTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Duplicates_older_versions_and_late_upserts_after_a_tombstone_change_nothing()
    {
        var projection = new CaseListProjection(ContractFor("basic", IdempotencyMode.Inbox));
        var store = await StoreFactory.CreateAsync(db, projection, "basic_rm");
        var applier = store.GetApplier("basic");
        var opened = Upserted("t1", 1, 1, "open", "Fraud");
        var assigned = Upserted("t1", 1, 3, "assigned", "Fraud");

        var first = await applier.ApplyAsync([opened, assigned, Upserted("t1", 2, 1, "open")]);
        var again = await applier.ApplyAsync([opened, assigned, Upserted("t1", 1, 2, "stale")]);
        var deleted = await applier.ApplyAsync([Deleted("t1", 2, 5), Upserted("t1", 2, 4, "resurrected?")]);

        Assert.Equal((3, 3, 0, 2), (first.Received, first.Applied, first.Duplicates, first.RowsWritten));
        Assert.Equal((3, 1, 2, 0), (again.Received, again.Applied, again.Duplicates, again.RowsWritten));
        Assert.Equal((2, 2, 1), (deleted.Received, deleted.Applied, deleted.RowsWritten));
        Assert.Equal(
            [new CaseRow("t1", 1, "assigned", "Fraud", 3, false), new CaseRow("t1", 2, null, null, 5, true)],
            await ReadModelRows.ReadAsync(db.DataSource, "basic_rm"));
        Assert.Equal(6L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".inbox WHERE projection_name = 'basic'"));
    }
}

public sealed class CheckpointCompareAndSetTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_batch_whose_checkpoint_moved_underneath_is_rolled_back_with_what_to_do()
    {
        var projection = new CaseListProjection(ContractFor("cas", IdempotencyMode.Checkpoint));
        var store = await StoreFactory.CreateAsync(db, projection, "cas_rm");
        var applier = store.GetApplier("cas");
        var winner = await applier.ApplyAsync([Upserted("t1", 1, 1, "open", position: 1), Upserted("t1", 2, 1, "open", position: 2)], ReadModelKit.Events.StreamPosition.Start, 0);

        var exception = await Assert.ThrowsAsync<ReadModelKit.Npgsql.Apply.CheckpointConflictException>(async () =>
            await applier.ApplyAsync([Upserted("t1", 3, 1, "stale node", position: 3)], ReadModelKit.Events.StreamPosition.Start, 0));

        Assert.Equal(2, winner.Checkpoint.Value);
        Assert.Equal("The checkpoint of projection 'cas' (partition 0) is no longer at 0: another applier committed first. The batch was rolled back; re-read the checkpoint and continue from there.", exception.Message);
        Assert.Equal(2, (await ReadModelRows.ReadAsync(db.DataSource, "cas_rm")).Count);
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT position FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = 'cas'"));
    }

    [Fact]
    public async Task Partitions_have_their_own_checkpoints()
    {
        var projection = new CaseListProjection(ContractFor("cas_parts", IdempotencyMode.Checkpoint));
        var store = await StoreFactory.CreateAsync(db, projection, "cas_parts_rm");
        var applier = store.GetApplier("cas_parts");

        await applier.ApplyAsync([Upserted("t1", 1, 1, "open", position: 5)], ReadModelKit.Events.StreamPosition.Start, 3);
        await applier.ApplyAsync([Upserted("t1", 2, 1, "open", position: 2)], ReadModelKit.Events.StreamPosition.Start, 0);

        Assert.Equal("0:2|3:5", await db.ScalarAsync<string>($"SELECT string_agg(partition_id || ':' || position, '|' ORDER BY partition_id) FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = 'cas_parts'"));
    }
}
