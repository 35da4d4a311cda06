using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>A replay failed when it reads an outbox pruned after planning. Its own schema: the pruner counts runners of projections it does not know as readers of every stream.</summary>
public sealed class ReplayPrunedWhileReadingTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task An_outbox_pruned_after_planning_fails_the_replay_when_it_reads_and_stops_feeding_the_new_version()
    {
        var bed = await ReplayBeds.CreateAsync(db, "rp_pruned_read", chunk: 10);
        await using (var live = new LiveRunner(bed))
        {
            await ReplayBeds.CommandsAsync(bed, 0, 40);
            await live.CaughtUpAsync();
            await bed.Rebuilds.StartAsync(bed.Name);
        }

        // A prune that computed its floor before the replay's checkpoints existed; events after it are still there to read.
        var pruned = await new OutboxPruner(bed.Store).PruneAsync(bed.Name, TimeSpan.Zero);
        Assert.Equal(40L + 14 + 8, pruned.Deleted);
        await ReplayBeds.CommandsAsync(bed, 100, 15);

        var error = await Assert.ThrowsAsync<OutboxPrunedForReplayException>(() => bed.Rebuilds.RunAsync(bed.Name));

        Assert.Equal(StreamPosition.Start, error.NeededAfter);
        var run = (await bed.Rebuilds.GetRunAsync(bed.Name))!;
        Assert.Equal((RebuildRunState.Failed, ProjectionState.Faulted, 0L), (run.State, run.Lifecycle, run.RowsDone));
        Assert.Equal(error.Message, run.Error);
        Assert.Equal([1], (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed);
        Assert.Null(await bed.RelKindAsync(bed.Name + "_v2"));
        Assert.Equal(0L, await ReplayBeds.TrackRowsAsync(db, bed));
    }
}
