using ReadModelKit.Contracts;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Freshness;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>Rebuild by outbox replay: own checkpoints from the start, live events flowing, resume, lifecycle, cancel.</summary>
public sealed class ReplayTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_replay_rebuild_converges_to_the_serving_version_while_live_events_flow_then_cuts_over()
    {
        var bed = await ReplayBeds.CreateAsync(db, "rp_full", chunk: 50);
        await using var live = new LiveRunner(bed);
        await ReplayBeds.CommandsAsync(bed, 0, 240);
        await live.CaughtUpAsync();

        var before = await ReplayBeds.EventsAsync(db, bed);
        var planned = await bed.Rebuilds.StartAsync(bed.Name);
        Assert.Equal((RebuildRunState.Planned, RebuildMethod.ReplayEvents, 1, 2), (planned.State, planned.Method, planned.FromVersion, planned.ToVersion));
        Assert.NotNull(planned.EstimatedRows);
        Assert.Equal([1, 2], (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed);

        // Commands keep coming while the replay runs; each reaches both versions through the live feed.
        using var stop = new CancellationTokenSource();
        var commands = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await bed.CommandAsync("t1", i % 60, "during-" + i);
                if (i % 7 == 0)
                {
                    await bed.CommandDeleteAsync("t2", i % 30);
                }
            }
        });
        var reports = new List<RebuildProgress>();
        var run = await bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(reports.Add));
        await stop.CancelAsync();
        await commands;
        await live.CaughtUpAsync();

        Assert.True(run.GatePassed, run.GateReport);
        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.NotNull(run.ReplayTo);
        Assert.InRange(run.RowsDone, before, await ReplayBeds.EventsAsync(db, bed));
        Assert.All(reports, r => Assert.Equal(RebuildRunState.Replaying, r.State));
        Assert.Equal(reports.Select(r => r.RowsDone).Order(), reports.Select(r => r.RowsDone));
        Assert.Equal(await bed.RowsAsync(bed.Name + "_v1"), await bed.RowsAsync(bed.Name + "_v2"));
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name + "_v2"));
        Assert.Equal(0L, await ReplayBeds.TrackRowsAsync(db, bed));

        await bed.Rebuilds.CutoverAsync(bed.Name);
        await bed.CommandAsync("t1", 1, "after-cutover");
        await live.CaughtUpAsync();
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
        Assert.Equal(await bed.RowsAsync(bed.Name + "_v2"), await bed.RowsAsync(bed.Name + "_v1"));
    }

    [Fact]
    public async Task A_stopped_replay_resumes_on_another_node_from_its_checkpoint_without_replaying_twice()
    {
        var bed = await ReplayBeds.CreateAsync(db, "rp_resume", chunk: 20);
        await using var live = new LiveRunner(bed);
        await ReplayBeds.CommandsAsync(bed, 0, 200);
        await live.CaughtUpAsync();
        await bed.Rebuilds.StartAsync(bed.Name);

        using var stop = new CancellationTokenSource();
        var first = new List<RebuildProgress>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(p =>
        {
            first.Add(p);
            if (first.Count == 3)
            {
                stop.Cancel();
            }
        }), stop.Token));

        var stopped = (await bed.Rebuilds.GetRunAsync(bed.Name))!;
        var track = await ReplayBeds.TrackPositionAsync(db, bed);
        Assert.Equal((RebuildRunState.Replaying, ProjectionState.Rebuilding, first[2].RowsDone, (string?)null), (stopped.State, stopped.Lifecycle, stopped.RowsDone, stopped.Owner));
        Assert.True(track > 0, "the replay's checkpoint advanced");

        var other = await bed.OtherNodeAsync("node-b", o => o.ChunkSize = 20);
        var second = new List<RebuildProgress>();
        var run = await other.RunAsync(bed.Name, new SyncProgress(second.Add));

        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.InRange(second[0].RowsDone - stopped.RowsDone, 1, 20);
        Assert.Equal(await ReplayBeds.EventsAsync(db, bed), run.RowsDone);
        Assert.Equal(stopped.ReplayTo, run.ReplayTo);
        Assert.Equal(await bed.RowsAsync(bed.Name + "_v1"), await bed.RowsAsync(bed.Name + "_v2"));
    }

    [Fact]
    public async Task A_replaying_run_is_rebuilding_not_live_and_cancel_stops_it_with_nothing_left()
    {
        var bed = await ReplayBeds.CreateAsync(db, "rp_cancel", chunk: 10);
        await using var live = new LiveRunner(bed);
        await ReplayBeds.CommandsAsync(bed, 0, 50);
        await live.CaughtUpAsync();
        await bed.Rebuilds.StartAsync(bed.Name);

        RebuildRun? during = null;
        RebuildRun? cancelled = null;
        var run = await bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(p =>
        {
            if (during is null)
            {
                during = bed.Rebuilds.GetRunAsync(bed.Name).GetAwaiter().GetResult();
                cancelled = bed.Rebuilds.CancelAsync(bed.Name).GetAwaiter().GetResult();
            }
        }));

        Assert.Equal((RebuildRunState.Replaying, ProjectionState.Rebuilding, true), (during!.State, during.Lifecycle, during.IsActive));
        Assert.Equal(RebuildRunState.Cancelled, cancelled!.State);
        Assert.Equal((RebuildRunState.Cancelled, during.RowsDone), (run.State, run.RowsDone));
        Assert.InRange(run.RowsDone, 1, 10);
        Assert.Equal([1], (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed);
        Assert.Null(await bed.RelKindAsync(bed.Name + "_v2"));
        Assert.Equal(0L, await ReplayBeds.TrackRowsAsync(db, bed));

        // Nothing is left behind: a new replay starts from the start again.
        await bed.Rebuilds.StartAsync(bed.Name);
        Assert.Equal(RebuildRunState.Ready, (await bed.Rebuilds.RunAsync(bed.Name)).State);
    }

    [Fact]
    public async Task Without_a_recompute_query_the_gate_compares_the_replayed_version_with_the_serving_one()
    {
        var bed = await RebuildBed.CreateAsync(db, "rp_norecompute", o => o.ChunkSize = 25, m => m with { RecomputeSql = null, RecomputeReturnsVersion = false }, RebuildMethod.ReplayEvents, outbox: true);
        await using var live = new LiveRunner(bed);
        await ReplayBeds.CommandsAsync(bed, 0, 60);
        await live.CaughtUpAsync();
        await bed.Rebuilds.StartAsync(bed.Name);

        var clean = await bed.Rebuilds.RunAsync(bed.Name);

        Assert.Equal(RebuildRunState.Ready, clean.State);
        Assert.Equal("Gate PASSED: drift missing 0, extra 0, changed 0 of 48 row(s); rows old 48, new 48;", clean.GateReport!.Split(" lag ")[0]);

        // A write around the library into the serving version: the replayed version no longer matches it.
        await bed.Rebuilds.CancelAsync(bed.Name);
        await db.ExecuteAsync($"UPDATE {bed.Name}_v1 SET status = 'edited by hand' WHERE tenant_id = 't1' AND case_id = 1");
        await bed.Rebuilds.StartAsync(bed.Name);

        var refused = await bed.Rebuilds.RunAsync(bed.Name);

        Assert.Equal((RebuildRunState.Validating, false), (refused.State, refused.GatePassed));
        Assert.Contains("the new version v3 differs from the serving version v1 in 1 of 48 row(s) (missing 0, extra 0, changed 1;", refused.GateReport);
    }

    [Fact]
    public async Task The_status_reads_Rebuilding_not_Live_while_a_replay_runs()
    {
        var bed = await ReplayBeds.CreateAsync(db, "rp_status", chunk: 10);
        await using var live = new LiveRunner(bed);
        await ReplayBeds.CommandsAsync(bed, 0, 30);
        await live.CaughtUpAsync();
        var before = await bed.Store.Freshness.GetStatusAsync(bed.Name);
        var planned = await bed.Rebuilds.StartAsync(bed.Name);

        var during = new List<(ProjectionState State, ActiveRebuild? Run, ProjectionState Freshness)>();
        var run = await bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(_ =>
        {
            var status = bed.Store.Freshness.GetStatusAsync(bed.Name).GetAwaiter().GetResult();
            during.Add((status.State, status.RebuildInProgress, bed.Store.Freshness.GetAsync(bed.Name).GetAwaiter().GetResult().State));
        }));

        Assert.Equal(ProjectionState.Live, before.State);
        Assert.True(during.Count >= 3, $"{during.Count} replay batch(es)");
        Assert.All(during, d => Assert.Equal((ProjectionState.Rebuilding, planned.Id, RebuildRunState.Replaying, ProjectionState.Rebuilding), (d.State, d.Run!.Value.RunId, d.Run.Value.State, d.Freshness)));
        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.Equal(ProjectionState.Live, (await bed.Store.Freshness.GetStatusAsync(bed.Name)).State);
    }

    [Fact]
    public async Task A_replay_leaves_dead_lettered_and_parked_events_out_as_the_serving_version_does_and_writes_no_dead_letter()
    {
        var bed = await RebuildBed.CreateAsync(db, "rp_poison", o => o.ChunkSize = 10, m => m with { RecomputeSql = null, RecomputeReturnsVersion = false }, RebuildMethod.ReplayEvents, outbox: true);
        await using var live = new LiveRunner(bed);
        await ReplayBeds.CommandsAsync(bed, 0, 20);
        await bed.AppendAsync(CaseListProjection.Envelope("Poison", "t1", 2, bed.Next("t1", 2), 0, null, new { tenant = "t1", @case = 2 }));
        await bed.AppendAsync(CaseListProjection.Upserted("t1", 2, bed.Next("t1", 2), "behind the poison"));
        await Eventually.TrueAsync(async () => (await bed.Store.DeadLetters.ListAsync(bed.Name)).Count == 2, ReplayBeds.Converge, "the poison event is dead-lettered and the next one of its key parked");
        await bed.Rebuilds.StartAsync(bed.Name);

        var run = await bed.Rebuilds.RunAsync(bed.Name);

        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.Equal(await bed.RowsAsync(bed.Name + "_v1"), await bed.RowsAsync(bed.Name + "_v2"));
        Assert.DoesNotContain("behind the poison", await bed.RowsAsync(bed.Name + "_v2"), StringComparison.Ordinal);
        Assert.Equal(2, (await bed.Store.DeadLetters.ListAsync(bed.Name)).Count);
    }

    [Fact]
    public async Task A_replay_waiting_for_a_transaction_older_than_its_start_keeps_its_lease_and_finishes_after_it()
    {
        var bed = await RebuildBed.CreateAsync(db, "rp_wait", o => { o.ChunkSize = 10; o.LeaseDuration = TimeSpan.FromSeconds(1); }, m => m with { RecomputeSql = null, RecomputeReturnsVersion = false }, RebuildMethod.ReplayEvents, outbox: true);
        await using var live = new LiveRunner(bed);
        await ReplayBeds.CommandsAsync(bed, 0, 20);
        await live.CaughtUpAsync();
        await using var older = await db.DataSource.OpenConnectionAsync();
        await using var open = await older.BeginTransactionAsync();
        await using (var xid = new global::Npgsql.NpgsqlCommand("SELECT pg_current_xact_id()", older, open))
        {
            await xid.ExecuteScalarAsync();
        }

        await bed.Rebuilds.StartAsync(bed.Name);
        var running = bed.Rebuilds.RunAsync(bed.Name);
        await Eventually.TrueAsync(async () => await ReplayBeds.TrackPositionAsync(db, bed) > 0, ReplayBeds.Converge, "the replay read what lies below the open transaction");
        var firstExpiry = await db.ScalarAsync<DateTime>($"SELECT lease_expires_at FROM \"{db.Schema}_rmk\".rebuild_run WHERE projection_name = '{bed.Name}'");
        await Eventually.TrueAsync(async () => await db.ScalarAsync<bool>($"SELECT now() > '{firstExpiry:O}'::timestamp"), ReplayBeds.Converge, "the replay's first lease would have expired");
        Assert.False(running.IsCompleted, "the replay waits for the open transaction");
        await open.CommitAsync();

        var run = await running;

        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.Equal(await bed.RowsAsync(bed.Name + "_v1"), await bed.RowsAsync(bed.Name + "_v2"));
    }

    [Theory]
    [InlineData(RebuildRunState.Planned, ProjectionState.Rebuilding)]
    [InlineData(RebuildRunState.Backfilling, ProjectionState.Rebuilding)]
    [InlineData(RebuildRunState.Replaying, ProjectionState.Rebuilding)]
    [InlineData(RebuildRunState.CatchingUp, ProjectionState.Rebuilding)]
    [InlineData(RebuildRunState.Validating, ProjectionState.Rebuilding)]
    [InlineData(RebuildRunState.Ready, ProjectionState.Live)]
    [InlineData(RebuildRunState.CutOver, ProjectionState.Live)]
    [InlineData(RebuildRunState.Retired, ProjectionState.Retired)]
    [InlineData(RebuildRunState.Failed, ProjectionState.Faulted)]
    public void Every_state_before_ready_is_rebuilding(RebuildRunState state, ProjectionState lifecycle)
    {
        var run = new RebuildRun { Id = 1, ProjectionName = "p", FromVersion = 1, ToVersion = 2, Method = RebuildMethod.ReplayEvents, State = state, CreatedAt = DateTimeOffset.UnixEpoch };

        Assert.Equal(lifecycle, run.Lifecycle);
    }

    [Fact]
    public async Task A_replay_of_a_projection_that_reads_no_outbox_is_refused()
    {
        var bed = await RebuildBed.CreateAsync(db, "rp_broker", method: RebuildMethod.ReplayEvents);

        var error = await Assert.ThrowsAsync<RebuildMethodNotSupportedException>(() => bed.Rebuilds.StartAsync(bed.Name));

        Assert.Equal("Projection 'rp_broker' reads BrokerTopic 'case-events', so there is no outbox stream to replay it from. Rebuild it by backfill (contract Rebuild = BackfillFromCanonicalTables, with a RecomputeSql).", error.Message);
        Assert.Null(await bed.Rebuilds.GetRunAsync(bed.Name));
    }
}
