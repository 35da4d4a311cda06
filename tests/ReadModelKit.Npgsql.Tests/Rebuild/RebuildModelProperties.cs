using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>
/// A model-based property over interleavings of live commands (applied at once, late, or early: the event committed while a chunk
/// still reads the source's older snapshot), backfill chunks run by alternating nodes
/// that stop after every chunk (a crash after commit, then a resume elsewhere), cutovers and rollbacks. The oracle is the canonical
/// source table itself: the new version converges to it, readers never see a key at a lower version after a cutover than before, and
/// after a rollback the old version serves exactly the source.
/// </summary>
public sealed class RebuildModelProperties(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly Config Cases = Config.QuickThrowOnFailure.WithMaxTest(30);
    private static int _case;

    private enum Op
    {
        Upsert,
        Delete,
        LateUpsert,
        EarlyUpsert,
        Deliver,
        Chunk,
        Cutover,
        Rollback,
    }

    [Fact]
    public void Any_interleaving_of_commands_chunks_crashes_cutover_and_rollback_converges_to_the_source()
    {
        var step = from op in Gen.Frequency(
                       (4, Gen.Constant(Op.Upsert)),
                       (1, Gen.Constant(Op.Delete)),
                       (2, Gen.Constant(Op.LateUpsert)),
                       (2, Gen.Constant(Op.EarlyUpsert)),
                       (1, Gen.Constant(Op.Deliver)),
                       (4, Gen.Constant(Op.Chunk)),
                       (1, Gen.Constant(Op.Cutover)),
                       (1, Gen.Constant(Op.Rollback)))
                   from key in Gen.Choose(0, 5)
                   select (op, key);
        var scenario = from seed in Gen.Choose(0, 6)
                       from steps in Gen.ListOf(step).Select(s => s.Take(14).ToList())
                       select (seed, steps);
        Check.One(Cases, Prop.ForAll(scenario.ToArbitrary(), s => Task.Run(() => RunAsync(s.seed, s.steps)).GetAwaiter().GetResult()));
    }

    private async Task RunAsync(int seed, List<(Op Op, int Key)> steps)
    {
        var name = $"model_{Interlocked.Increment(ref _case)}";
        var bed = await RebuildBed.CreateAsync(db, name, o => o.ChunkSize = 2);
        RebuildOrchestrator[] nodes = [bed.Rebuilds, await bed.OtherNodeAsync("node-b", o => o.ChunkSize = 2)];
        var turn = 0;
        await bed.SeedAsync(seed);
        await bed.Rebuilds.StartAsync(bed.Name);
        var pending = new List<Events.EventEnvelope>();

        var unseen = new Dictionary<int, (long Version, string Status)>();

        async Task SourceCatchesUpAsync(int? key = null)
        {
            foreach (var (k, change) in unseen.Where(u => key is null || u.Key == key).ToList())
            {
                await bed.SourceUpsertAsync("t1", k, change.Status, change.Version);
                unseen.Remove(k);
            }
        }

        async Task DeliverAsync()
        {
            await SourceCatchesUpAsync();
            // Late events arrive in reverse order: the version guard must sort it out.
            pending.Reverse();
            await bed.Store.GetApplier(name).ApplyAsync(pending);
            pending.Clear();
        }

        async Task<RebuildRun?> ActiveAsync()
        {
            var run = await bed.Rebuilds.GetRunAsync(name);
            return run is { IsActive: true } ? run : null;
        }

        async Task FinishAsync()
        {
            await DeliverAsync();
            if (await ActiveAsync() is null)
            {
                await bed.Rebuilds.StartAsync(name);
            }

            var run = await bed.Rebuilds.RunAsync(name);
            Assert.True(run.State is RebuildRunState.Ready or RebuildRunState.CutOver, run.GateReport);
        }

        foreach (var (op, key) in steps)
        {
            if (op is Op.Upsert or Op.Delete or Op.LateUpsert or Op.EarlyUpsert)
            {
                await SourceCatchesUpAsync(key);
            }

            switch (op)
            {
                case Op.EarlyUpsert:
                    // The event commits now; chunks keep reading the source row as it was until the source catches up.
                    var early = bed.Next("t1", key);
                    await bed.Store.GetApplier(name).ApplyAsync([CaseListProjection.Upserted("t1", key, early, $"e{early}", $"title {key}")]);
                    unseen[key] = (early, $"e{early}");
                    break;
                case Op.Upsert:
                    await bed.UpsertAsync("t1", key, $"u{bed.Next("t1", key)}");
                    break;
                case Op.Delete:
                    await bed.DeleteAsync("t1", key);
                    break;
                case Op.LateUpsert:
                    pending.Add(await bed.SourceUpsertAsync("t1", key, $"l{bed.Next("t1", key)}"));
                    break;
                case Op.Deliver:
                    await DeliverAsync();
                    break;
                case Op.Chunk when await ActiveAsync() is { State: < RebuildRunState.Ready }:
                    // One chunk on one node, which then stops (its lease left to expire); the other node resumes next time.
                    using (var stop = new CancellationTokenSource())
                    {
                        var node = nodes[turn++ % 2];
                        try
                        {
                            await node.RunAsync(name, new Stopper(stop), stop.Token);
                        }
                        catch (OperationCanceledException)
                        {
                        }

                        await db.ExecuteAsync($"UPDATE \"{bed.Store.Schema}\".rebuild_run SET lease_expires_at = now() - interval '1 second' WHERE projection_name = '{name}' AND state NOT IN ('retired', 'failed', 'cancelled', 'rolled_back')");
                    }

                    break;
                case Op.Cutover when await ActiveAsync() is not { State: RebuildRunState.CutOver }:
                    await FinishAsync();
                    var before = await VersionsAsync(name);
                    await bed.Rebuilds.CutoverAsync(name);
                    var after = await VersionsAsync(name);
                    Assert.All(before, b => Assert.True(after.GetValueOrDefault(b.Key) >= b.Value, $"key {b.Key} went from version {b.Value} to {after.GetValueOrDefault(b.Key)} at the cutover"));
                    break;
                case Op.Rollback when await ActiveAsync() is { State: RebuildRunState.CutOver }:
                    await bed.Rebuilds.RollbackAsync(name);
                    await DeliverAsync();
                    Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(name));
                    break;
            }
        }

        var active = await ActiveAsync();
        if (active?.State != RebuildRunState.CutOver)
        {
            await FinishAsync();
            active = await ActiveAsync();
        }

        await DeliverAsync();
        var expected = await bed.ExpectedLiveAsync();
        Assert.Equal(expected, await bed.LiveRowsAsync($"{name}_v{active!.ToVersion}"));
        Assert.Equal(expected, await bed.LiveRowsAsync(name));
    }

    private async Task<Dictionary<int, long>> VersionsAsync(string view)
    {
        var rows = await db.ScalarAsync<string>($"SELECT coalesce(string_agg(case_id || '=' || version, ','), '') FROM \"{view}\"") ?? "";
        return rows.Length == 0 ? [] : rows.Split(',').Select(r => r.Split('=')).ToDictionary(p => int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), p => long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private sealed class Stopper(CancellationTokenSource stop) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => stop.Cancel();
    }
}
