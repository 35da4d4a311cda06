using ReadModelKit.Checkpoints;
using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Checkpoints;

public sealed class NpgsqlCheckpointStoreTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private async Task<(NpgsqlReadModelStore Store, PartitionLease Lease)> LeasedAsync(string name, string node = "a")
    {
        var store = await OutboxFixtures.NewProjectionAsync(db, name);
        var leases = new PartitionLeases(store.DataSource, store.SchemaIdentifier, name, 2, node, TimeSpan.FromSeconds(30));
        await leases.EnsureAsync(default);
        await store.Checkpoints.EnsureAsync(CheckpointSet.Live(name), 2);
        var owned = await leases.HeartbeatAsync([], default);
        return (store, owned.Owned.Single(l => l.Partition == 1));
    }

    [Fact]
    public async Task A_fenced_advance_writes_only_from_the_expected_position_and_only_for_the_lease_holder()
    {
        var (store, lease) = await LeasedAsync("cp_advance");
        var set = CheckpointSet.Live("cp_advance");
        var fence = new CheckpointFence("a", lease.Token);

        var moved = await store.Checkpoints.AdvanceAsync(set, 1, StreamPosition.Start, new StreamPosition(40), fence);
        var stale = await store.Checkpoints.AdvanceAsync(set, 1, StreamPosition.Start, new StreamPosition(90), fence);
        var wrongToken = await store.Checkpoints.AdvanceAsync(set, 1, new StreamPosition(40), new StreamPosition(90), fence with { Token = lease.Token + 1 });
        var otherNode = await store.Checkpoints.AdvanceAsync(set, 1, new StreamPosition(40), new StreamPosition(90), fence with { Owner = "b" });
        var backwards = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.Checkpoints.AdvanceAsync(set, 1, new StreamPosition(40), new StreamPosition(39), fence));

        Assert.Equal((CheckpointWrite.Written, CheckpointWrite.Conflict, CheckpointWrite.Fenced, CheckpointWrite.Fenced), (moved, stale, wrongToken, otherNode));
        Assert.StartsWith("A checkpoint never moves backwards: the checkpoint of cp_advance partition 1 cannot go from 40 to 39.", backwards.Message, StringComparison.Ordinal);
        var all = await store.Checkpoints.ListAsync(set);
        Assert.Equal([(0, 0L), (1, 40L)], all.Select(c => (c.Partition, c.Position.Value)));
    }

    [Fact]
    public async Task Recording_state_needs_the_lease_and_leaves_the_position_alone()
    {
        var (store, lease) = await LeasedAsync("cp_state");
        var set = CheckpointSet.Live("cp_state");

        var written = await store.Checkpoints.RecordStateAsync(set, 1, ProjectionState.Faulted, "boom", new CheckpointFence("a", lease.Token));
        var fenced = await store.Checkpoints.RecordStateAsync(set, 1, ProjectionState.Live, null, new CheckpointFence("b", lease.Token));

        Assert.Equal((CheckpointWrite.Written, CheckpointWrite.Fenced), (written, fenced));
        var row = await store.Checkpoints.LoadAsync(set, 1);
        Assert.Equal((ProjectionState.Faulted, "boom", 0L), (row!.State, row.LastError, row.Position.Value));
        Assert.Null(await store.Checkpoints.LoadAsync(set, 7));
    }

    [Fact]
    public async Task Tracks_of_one_projection_advance_independently_and_status_reports_only_the_live_one()
    {
        var (store, lease) = await LeasedAsync("cp_tracks");
        var live = CheckpointSet.Live("cp_tracks");
        var rebuild = new CheckpointSet("cp_tracks", "v2");
        await store.Checkpoints.EnsureAsync(rebuild, 2);
        var applier = store.GetApplier("cp_tracks");

        await applier.ApplyAsync([Upserted("t1", 1, 1, "open", position: 25)], StreamPosition.Start, partition: 0);
        var rebuilt = await store.Checkpoints.AdvanceAsync(rebuild, 1, StreamPosition.Start, new StreamPosition(70), new CheckpointFence("a", lease.Token));
        var status = await store.Freshness.GetStatusAsync("cp_tracks");

        Assert.Equal(CheckpointWrite.Written, rebuilt);
        Assert.Equal([25L, 0L], (await store.Checkpoints.ListAsync(live)).Select(c => c.Position.Value));
        Assert.Equal([0L, 70L], (await store.Checkpoints.ListAsync(rebuild)).Select(c => c.Position.Value));
        Assert.Equal([25L, 0L], status.Partitions.Select(p => p.Position.Value));
    }
}
