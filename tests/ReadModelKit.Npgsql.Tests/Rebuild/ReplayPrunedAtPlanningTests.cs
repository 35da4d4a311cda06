using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>A replay refused at planning when the outbox was pruned. Its own schema: the pruner counts runners of projections it does not know as readers of every stream.</summary>
public sealed class ReplayPrunedAtPlanningTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_pruned_outbox_refuses_a_replay_at_planning_with_nothing_created()
    {
        var bed = await ReplayBeds.CreateAsync(db, "rp_pruned_plan", chunk: 50);
        await using (var live = new LiveRunner(bed))
        {
            await ReplayBeds.CommandsAsync(bed, 0, 30);
            await live.CaughtUpAsync();
        }

        var pruned = await new OutboxPruner(bed.Store).PruneAsync(bed.Name, TimeSpan.Zero);
        Assert.Equal(30L + 10 + 6, pruned.Deleted);
        var floor = await db.ScalarAsync<long>($"SELECT pruned_up_to FROM \"{db.Schema}_rmk\".outbox_prune_floor WHERE stream = '{bed.Name}'");
        Assert.True(floor > 0);

        var error = await Assert.ThrowsAsync<OutboxPrunedForReplayException>(() => bed.Rebuilds.StartAsync(bed.Name));

        Assert.Equal((bed.Name, new StreamPosition(floor), StreamPosition.Start), (error.Stream, error.PrunedUpTo, error.NeededAfter));
        Assert.StartsWith($"Projection '{bed.Name}' cannot be rebuilt by replaying outbox stream '{bed.Name}': its events up to position {floor} were pruned (last prune ", error.Message);
        Assert.EndsWith("), and the replay needs every event after position 0 (from the start). Rebuild by backfill instead (contract Rebuild = BackfillFromCanonicalTables, with a RecomputeSql), or restore the pruned events into the outbox and delete the stream's row from outbox_prune_floor. To keep replays possible, keep the stream unpruned: register an IOutboxRetentionHold returning StreamPosition.Start for it, or turn outbox pruning off (maintenance option PruneOutbox = false).", error.Message);
        Assert.Null(await bed.Rebuilds.GetRunAsync(bed.Name));
        Assert.Equal("r", await bed.RelKindAsync(bed.Name));
        Assert.Null(await bed.RelKindAsync(bed.Name + "_v2"));
    }
}
