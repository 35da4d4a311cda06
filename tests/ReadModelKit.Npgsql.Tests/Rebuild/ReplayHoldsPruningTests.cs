using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>A running replay's checkpoint track holds the outbox pruner back. Its own schema: the pruner counts runners of projections it does not know as readers of every stream.</summary>
public sealed class ReplayHoldsPruningTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_prune_during_a_replay_deletes_only_what_the_replay_has_read_and_the_replay_finishes()
    {
        var bed = await ReplayBeds.CreateAsync(db, "rp_hold", chunk: 10);
        await using (var live = new LiveRunner(bed))
        {
            await ReplayBeds.CommandsAsync(bed, 0, 40);
            await live.CaughtUpAsync();
            await bed.Rebuilds.StartAsync(bed.Name);
        }

        using var stop = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(_ => stop.Cancel()), stop.Token));
        var replayed = await ReplayBeds.TrackPositionAsync(db, bed);
        var atOrBefore = await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".outbox WHERE stream = '{bed.Name}' AND tx_id::text::int8 <= {replayed}");

        var pruned = await new OutboxPruner(bed.Store).PruneAsync(bed.Name, TimeSpan.Zero);

        Assert.Equal((replayed, $"projection '{bed.Name}'", atOrBefore), (pruned.PrunableUpTo.Value, pruned.HeldBy, pruned.Deleted));
        Assert.True(atOrBefore is > 0 and < 40 + 14 + 8, $"{atOrBefore} event(s) replayed before the prune");
        var run = await bed.Rebuilds.RunAsync(bed.Name);
        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.Equal(await bed.RowsAsync(bed.Name + "_v1"), await bed.RowsAsync(bed.Name + "_v2"));
        Assert.Equal(0L, await ReplayBeds.TrackRowsAsync(db, bed));
    }
}
