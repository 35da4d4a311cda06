using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Outbox;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Sql;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>
/// A model-based property of rebuild by replay over interleavings of commands (upserts and deletes through the outbox), live delivery
/// of what was committed (late, in bursts, or not before the end), and replay batches run by alternating nodes that stop after every
/// batch (a resume elsewhere each time). The oracle is the serving version, fed by the live path alone, and the canonical source: the
/// replayed version ends with exactly their rows, tombstones included, and counts no event twice.
/// </summary>
public sealed class ReplayModelProperties(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly Config Cases = Config.QuickThrowOnFailure.WithMaxTest(25);
    private static int _case;

    private enum Op
    {
        Upsert,
        Delete,
        Deliver,
        ReplayBatch,
    }

    [Fact]
    public void Any_interleaving_of_commands_deliveries_and_resumed_replay_batches_ends_with_the_serving_versions_rows()
    {
        var step = from op in Gen.Frequency(
                       (4, Gen.Constant(Op.Upsert)),
                       (1, Gen.Constant(Op.Delete)),
                       (2, Gen.Constant(Op.Deliver)),
                       (3, Gen.Constant(Op.ReplayBatch)))
                   from key in Gen.Choose(0, 4)
                   select (op, key);
        var scenario = from seed in Gen.Choose(0, 8)
                       from steps in Gen.ListOf(step).Select(s => s.Take(16).ToList())
                       select (seed, steps);
        Check.One(Cases, Prop.ForAll(scenario.ToArbitrary(), s => Task.Run(() => RunAsync(s.seed, s.steps)).GetAwaiter().GetResult()));
    }

    private async Task RunAsync(int seed, List<(Op Op, int Key)> steps)
    {
        var name = $"replay_model_{Interlocked.Increment(ref _case)}";
        var bed = await RebuildBed.CreateAsync(db, name, o => o.ChunkSize = 2, m => m with { RecomputeSql = null, RecomputeReturnsVersion = false }, RebuildMethod.ReplayEvents, outbox: true);
        RebuildOrchestrator[] nodes = [bed.Rebuilds, await bed.OtherNodeAsync("node-b", o => o.ChunkSize = 2)];
        var live = new LiveDelivery(db, bed, new OutboxReader(db.DataSource, SqlIdentifier.From(db.Schema + "_rmk", "schema")));
        for (var i = 0; i < seed; i++)
        {
            await bed.CommandAsync("t1", i % 5, "seed" + i);
        }

        await live.DeliverAsync();
        await bed.Rebuilds.StartAsync(bed.Name);
        var turn = 0;
        foreach (var (op, key) in steps)
        {
            switch (op)
            {
                case Op.Upsert:
                    await bed.CommandAsync("t1", key, "s" + turn++);
                    break;
                case Op.Delete:
                    await bed.CommandDeleteAsync("t1", key);
                    break;
                case Op.Deliver:
                    await live.DeliverAsync();
                    break;
                case Op.ReplayBatch:
                    await OneBatchAsync(nodes[turn++ % 2], bed.Name);
                    break;
            }
        }

        await live.DeliverAllAsync();
        var run = await nodes[turn % 2].RunAsync(bed.Name);

        Assert.True(run.GatePassed, run.GateReport);
        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.Equal(await bed.RowsAsync(bed.Name + "_v1"), await bed.RowsAsync(bed.Name + "_v2"));
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name + "_v2"));
        Assert.InRange(run.RowsDone, 0, await ReplayBeds.EventsAsync(db, bed));
        Assert.Equal(0L, await ReplayBeds.TrackRowsAsync(db, bed));
    }

    /// <summary>Runs the replay on <paramref name="node"/> until it committed one batch, then stops it (the run stays resumable), unless it finishes first.</summary>
    private static async Task OneBatchAsync(RebuildOrchestrator node, string name)
    {
        using var stop = new CancellationTokenSource();
        try
        {
            await node.RunAsync(name, new SyncProgress(_ => stop.Cancel()), stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped after its batch: the next replay batch resumes from the checkpoint, on either node.
        }
    }

    /// <summary>The live path, step by step: applies the committed events after the live checkpoint (the serving and fed versions).</summary>
    private sealed class LiveDelivery(PostgresSchemaFixture db, RebuildBed bed, OutboxReader reader)
    {
        private StreamPosition _checkpoint = StreamPosition.Start;

        /// <summary>Applies what is below the horizon now (events behind a transaction still running elsewhere wait).</summary>
        public async Task DeliverAsync()
        {
            while (true)
            {
                var batch = await reader.FetchAsync(bed.Name, 0, 1, _checkpoint, 100, CancellationToken.None);
                if (batch.Events.Count > 0)
                {
                    _checkpoint = (await bed.Store.GetApplier(bed.Name).ApplyAsync(batch.Events, _checkpoint, 0)).Checkpoint;
                }

                if (batch.ReachedHorizon)
                {
                    return;
                }
            }
        }

        /// <summary>Applies every event of the stream committed so far.</summary>
        public async Task DeliverAllAsync()
        {
            var last = await db.ScalarAsync<long>($"SELECT coalesce(max(tx_id::text::int8), 0) FROM \"{db.Schema}_rmk\".outbox WHERE stream = '{bed.Name}'");
            await DeliverAsync();
            await Eventually.TrueAsync(
                async () =>
                {
                    await DeliverAsync();
                    return _checkpoint.Value >= last;
                },
                ReplayBeds.Converge,
                "the live path applied every committed event");
        }
    }
}
