using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>Adoption, backfill, live feed of the new version, the commute rule, cutover, rollback and retire, against real PostgreSQL.</summary>
public sealed class BackfillTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Adopting_a_table_under_prepared_readers_keeps_every_read_working_and_writes_flowing()
    {
        var bed = await RebuildBed.CreateAsync(db, "adopt_load");
        await bed.SeedAsync(20);
        var readers = Enumerable.Range(0, 4).Select(i => bed.StartReader(i)).ToList();
        await Task.WhenAll(readers.Select(r => r.ReadMoreAsync(20)));

        var versions = await bed.Rebuilds.AdoptAsync(bed.Name);
        await Task.WhenAll(readers.Select(r => r.ReadMoreAsync(20)));
        await bed.UpsertAsync("t1", 3, "after");
        await Task.WhenAll(readers.Select(r => r.ReadMoreAsync(20)));
        foreach (var reader in readers)
        {
            await reader.DisposeAsync();
        }

        Assert.Equal("1 serves, fed 1", $"{versions.Serving} serves, fed {string.Join(",", versions.Fed)}");
        Assert.Equal("v", await bed.RelKindAsync(bed.Name));
        Assert.Equal("r", await bed.RelKindAsync(bed.Name + "_v1"));
        Assert.Empty(readers.SelectMany(r => r.Errors));
        Assert.Equal(2, readers[3].Versions[^1]);
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
        Assert.Equal(versions.Generation, (await bed.Rebuilds.AdoptAsync(bed.Name)).Generation);

        // A restarted application inspects the view (the unique index lives on the table behind it) and keeps applying.
        var restarted = await bed.OtherNodeAsync("node-restarted");
        Assert.Equal(1, (await restarted.GetVersionsAsync(bed.Name)).Serving);
    }

    [Fact]
    public async Task A_backfill_rebuild_converges_to_the_source_while_commands_flow_then_cuts_over_rolls_back_and_retires()
    {
        var bed = await RebuildBed.CreateAsync(db, "full_cycle", o => o.ChunkSize = 100);
        await bed.SeedAsync(250);

        var planned = await bed.Rebuilds.StartAsync(bed.Name);
        Assert.Equal((RebuildRunState.Planned, 1, 2), (planned.State, planned.FromVersion, planned.ToVersion));
        Assert.Equal([1, 2], (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed);

        // Commands after planning reach the new version through the live feed, before any chunk ran.
        await bed.UpsertAsync("t1", 7, "live-before");
        await bed.DeleteAsync("t1", 8);
        Assert.Equal("t1/7:live-before@2 t1/8:deleted@2", await bed.RowsAsync(bed.Name + "_v2"));

        var reports = new List<RebuildProgress>();
        var progress = new SyncProgress(reports.Add);
        var run = await bed.Rebuilds.RunAsync(bed.Name, progress);

        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.True(run.GatePassed);
        Assert.StartsWith("Gate PASSED: drift missing 0, extra 0, changed 0", run.GateReport);
        Assert.Equal(249, run.RowsDone);
        Assert.Equal([100, 200, 249], reports.Select(r => r.RowsDone));
        Assert.All(reports, r => Assert.NotNull(r.EstimatedTotal));
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name + "_v2"));
        Assert.Equal("t1/8:deleted@2", (await bed.RowsAsync(bed.Name + "_v2")).Split(' ').Single(r => r.StartsWith("t1/8:", StringComparison.Ordinal)));

        var cut = await bed.Rebuilds.CutoverAsync(bed.Name);
        Assert.Equal(RebuildRunState.CutOver, cut.State);
        Assert.Equal(new[] { 2, 1 }, (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed);
        await bed.UpsertAsync("t1", 9, "after-cutover");
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name + "_v1"));

        var back = await bed.Rebuilds.RollbackAsync(bed.Name);
        Assert.Equal(RebuildRunState.RolledBack, back.State);
        Assert.Null(await bed.RelKindAsync(bed.Name + "_v2"));
        await bed.UpsertAsync("t1", 10, "after-rollback");
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));

        // A second rebuild gets version 3 and retires version 1.
        var again = await bed.Rebuilds.StartAsync(bed.Name);
        Assert.Equal((1, 3), (again.FromVersion, again.ToVersion));
        Assert.Equal(RebuildRunState.Ready, (await bed.Rebuilds.RunAsync(bed.Name)).State);
        await bed.Rebuilds.CutoverAsync(bed.Name);
        var retired = await bed.Rebuilds.RetireAsync(bed.Name, force: true);

        Assert.Equal(RebuildRunState.Retired, retired.State);
        Assert.Null(await bed.RelKindAsync(bed.Name + "_v1"));
        var final = await bed.Rebuilds.GetVersionsAsync(bed.Name);
        Assert.Equal("3 serves, fed 3", $"{final.Serving} serves, fed {string.Join(",", final.Fed)}");
        await bed.UpsertAsync("t1", 11, "after-retire");
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
    }

    [Fact]
    public async Task Commands_applied_concurrently_by_two_nodes_during_the_backfill_reach_the_new_version_and_it_converges()
    {
        var bed = await RebuildBed.CreateAsync(db, "concurrent", o => o.ChunkSize = 50);
        await bed.SeedAsync(400);
        var nodeB = await RebuildBed.CreateAsync(db, "concurrent", createTables: false, nodeId: "node-b");
        await bed.Rebuilds.StartAsync(bed.Name);
        using var stop = new CancellationTokenSource();
        var commands = 0;

        // Node A and node B each own half of the keys (as partitions would); each applies through its own store and applier.
        var writers = new[] { (bed, 0), (nodeB, 1) }.Select(w => Task.Run(async () =>
        {
            var random = new Random(w.Item2);
            while (!stop.IsCancellationRequested)
            {
                var caseId = (random.Next(200) * 2) + w.Item2;
                var version = bed.Next("t1", caseId);
                var source = await bed.SourceUpsertAsync("t1", caseId, $"c{version}", version);
                await w.Item1.Store.GetApplier(bed.Name).ApplyAsync([source]);
                Interlocked.Increment(ref commands);
            }
        })).ToList();
        await Eventually.TrueAsync(() => Volatile.Read(ref commands) > 20, TimeSpan.FromSeconds(30), "the writers applied some commands");
        var run = await bed.Rebuilds.RunAsync(bed.Name);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.True(run.State is RebuildRunState.Ready or RebuildRunState.Validating, run.GateReport);
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name + "_v2"));
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
    }

    [Fact]
    public async Task Two_nodes_applying_without_pause_through_adoption_rebuild_cutover_rollback_and_retire_lose_no_write()
    {
        var bed = await RebuildBed.CreateAsync(db, "nonstop", o => o.ChunkSize = 25);
        await bed.SeedAsync(100);
        var nodeB = await RebuildBed.CreateAsync(db, "nonstop", createTables: false, nodeId: "node-b");
        using var stop = new CancellationTokenSource();
        var applied = 0;
        var writers = new[] { (bed, 0), (nodeB, 1) }.Select(w => Task.Run(async () =>
        {
            var random = new Random(w.Item2 + 10);
            while (!stop.IsCancellationRequested)
            {
                var caseId = (random.Next(60) * 2) + w.Item2;
                var version = bed.Next("t1", caseId);
                var change = random.Next(5) == 0 && version > 1
                    ? CaseListProjection.Deleted("t1", caseId, version)
                    : await bed.SourceUpsertAsync("t1", caseId, $"w{version}", version);
                if (change.Type == "CaseDeleted")
                {
                    await db.ExecuteAsync($"DELETE FROM nonstop_src WHERE tenant_id = 't1' AND case_id = {caseId}");
                }

                await w.Item1.Store.GetApplier(bed.Name).ApplyAsync([change]);
                Interlocked.Increment(ref applied);
            }
        })).ToList();

        async Task WhileWritingAsync(Func<Task> step)
        {
            var before = Volatile.Read(ref applied);
            await step();
            await Eventually.TrueAsync(() => Volatile.Read(ref applied) > before + 10, TimeSpan.FromSeconds(30), "the writers applied more commands");
        }

        await WhileWritingAsync(() => bed.Rebuilds.AdoptAsync(bed.Name));
        await WhileWritingAsync(() => bed.Rebuilds.StartAsync(bed.Name));
        await WhileWritingAsync(() => bed.Rebuilds.RunAsync(bed.Name));
        await WhileWritingAsync(async () =>
        {
            // Concurrent writes can make the gate see a row between its source commit and its event: validate again until it passes.
            await Eventually.TrueAsync(async () => (await bed.Rebuilds.RunAsync(bed.Name)).State == RebuildRunState.Ready, TimeSpan.FromSeconds(60), "the gate passed");
        });
        await WhileWritingAsync(() => bed.Rebuilds.CutoverAsync(bed.Name));
        await WhileWritingAsync(() => bed.Rebuilds.RollbackAsync(bed.Name));
        await WhileWritingAsync(() => bed.Rebuilds.StartAsync(bed.Name));
        await WhileWritingAsync(() => Eventually.TrueAsync(async () => (await bed.Rebuilds.RunAsync(bed.Name)).State == RebuildRunState.Ready, TimeSpan.FromSeconds(60), "the gate passed"));
        await WhileWritingAsync(() => bed.Rebuilds.CutoverAsync(bed.Name));
        await WhileWritingAsync(() => bed.Rebuilds.RetireAsync(bed.Name, force: true));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var expected = await bed.ExpectedLiveAsync();
        Assert.Equal(expected, await bed.LiveRowsAsync(bed.Name));
        Assert.Equal(expected, await bed.LiveRowsAsync(bed.Name + "_v3"));
        Assert.Null(await bed.RelKindAsync(bed.Name + "_v1"));
    }

    [Fact]
    public async Task A_late_backfill_chunk_never_overwrites_a_newer_event_nor_resurrects_a_tombstone()
    {
        var bed = await RebuildBed.CreateAsync(db, "commute");
        await bed.SeedAsync(5);
        await bed.Rebuilds.StartAsync(bed.Name);

        // The source still says version 1 for case 1 and holds case 2 (its chunk read happened "before" the events below committed):
        // live events at higher versions reach v2 first; the backfill then writes the older source rows.
        var newer = bed.Next("t1", 1) + 3;
        await bed.Store.GetApplier(bed.Name).ApplyAsync([CaseListProjection.Upserted("t1", 1, newer, "newer", "title 1")]);
        await bed.Store.GetApplier(bed.Name).ApplyAsync([CaseListProjection.Deleted("t1", 2, 9)]);
        var run = await bed.Rebuilds.RunAsync(bed.Name);

        var rows = (await bed.RowsAsync(bed.Name + "_v2")).Split(' ');
        Assert.Contains($"t1/1:newer@{newer}", rows);
        Assert.Contains("t1/2:deleted@9", rows);
        Assert.Contains("t1/3:s3@1", rows);
        Assert.Equal(5, rows.Length);
        Assert.Equal(RebuildRunState.Validating, run.State);
        Assert.False(run.GatePassed);
        Assert.StartsWith("Gate FAILED: drift missing 1, extra 0, changed 1 of 5 row(s); rows old 4, new 4;", run.GateReport);
        Assert.EndsWith(Environment.NewLine + " - the new version v2 differs from the source in 2 of 5 row(s) (missing 1, extra 0, changed 1; share 40.000 %, allowed 0.000 %). Look at the differences (a projection whose events disagree with its recompute query, or writes bypassing the library), fix the cause, then run RunAsync again to re-validate; or cancel and rebuild.", run.GateReport);
    }

    [Fact]
    public async Task A_delete_made_before_the_rebuild_stays_deleted_in_the_new_version_against_a_late_older_upsert()
    {
        var bed = await RebuildBed.CreateAsync(db, "carry_tombstone");
        await bed.SeedAsync(3);
        await bed.DeleteAsync("t1", 1);
        await bed.Rebuilds.StartAsync(bed.Name);
        await bed.Rebuilds.RunAsync(bed.Name);
        await bed.Rebuilds.CutoverAsync(bed.Name);

        await bed.Store.GetApplier(bed.Name).ApplyAsync([CaseListProjection.Upserted("t1", 1, 1, "redelivered", "title 1")]);

        Assert.Equal("t1/0:s0@1 t1/1:deleted@2 t1/2:s2@1", await bed.RowsAsync(bed.Name + "_v2"));
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
    }

    [Fact]
    public async Task A_crashed_node_is_resumed_from_its_last_chunk_by_another_node_and_a_fenced_out_node_writes_nothing()
    {
        var bed = await RebuildBed.CreateAsync(db, "resume", o => o.ChunkSize = 10);
        await bed.SeedAsync(35);
        await bed.Rebuilds.StartAsync(bed.Name);

        // Node A stops after two chunks (a deploy, a crash after its last commit).
        using var stop = new CancellationTokenSource();
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(_ => { if (++seen == 2) { stop.Cancel(); } }), stop.Token));
        var paused = (await bed.Rebuilds.GetRunAsync(bed.Name))!;
        Assert.Equal((RebuildRunState.Backfilling, 20L, null), (paused.State, paused.RowsDone, paused.Owner));
        Assert.Equal(["t1", "19"], paused.LastKey);

        // Node B takes over; after its first chunk the run is taken from it (another node's takeover): its next chunk is rolled back.
        var nodeB = await bed.OtherNodeAsync("node-b", o => o.ChunkSize = 10);
        var taken = false;
        var lost = await Assert.ThrowsAsync<RebuildLeaseLostException>(() => nodeB.RunAsync(bed.Name, new SyncProgress(_ =>
        {
            if (!taken)
            {
                taken = true;
                db.ExecuteAsync($"UPDATE \"{bed.Store.Schema}\".rebuild_run SET owner = 'node-c', token = token + 1 WHERE projection_name = '{bed.Name}'").GetAwaiter().GetResult();
            }
        })));
        Assert.Equal("node-b", lost.NodeId);
        Assert.Equal(30L, (await bed.Rebuilds.GetRunAsync(bed.Name))!.RowsDone);
        Assert.Equal(30, (await bed.LiveRowsAsync(bed.Name + "_v2")).Split(' ').Length);

        // node-c's lease is live: node A is refused, then (its lease expired) resumes and finishes.
        var refused = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.RunAsync(bed.Name));
        Assert.Contains("is being run by node 'node-c', whose lease has not expired", refused.Message);
        await db.ExecuteAsync($"UPDATE \"{bed.Store.Schema}\".rebuild_run SET lease_expires_at = now() - interval '1 second' WHERE projection_name = '{bed.Name}'");
        var done = await bed.Rebuilds.RunAsync(bed.Name);

        Assert.Equal(RebuildRunState.Ready, done.State);
        Assert.Equal(35L, done.RowsDone);
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name + "_v2"));
    }

    [Fact]
    public async Task Cancelling_stops_feeding_and_drops_the_new_version_and_a_new_rebuild_may_start()
    {
        var bed = await RebuildBed.CreateAsync(db, "cancel");
        await bed.SeedAsync(3);
        await bed.Rebuilds.StartAsync(bed.Name);

        var cancelled = await bed.Rebuilds.CancelAsync(bed.Name);
        await bed.UpsertAsync("t1", 1, "after-cancel");

        Assert.Equal(RebuildRunState.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.Null(await bed.RelKindAsync(bed.Name + "_v2"));
        Assert.Equal([1], (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed);
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
        Assert.Equal(3, (await bed.Rebuilds.StartAsync(bed.Name)).ToVersion);
    }

    [Fact]
    public async Task Prepared_reader_loops_see_no_error_and_no_older_version_through_cutover_and_rollback()
    {
        var bed = await RebuildBed.CreateAsync(db, "readers");
        await bed.SeedAsync(8);
        await bed.Rebuilds.StartAsync(bed.Name);
        await bed.Rebuilds.RunAsync(bed.Name);
        var readers = Enumerable.Range(0, 8).Select(i => bed.StartReader(i)).ToList();
        await Task.WhenAll(readers.Select(r => r.ReadMoreAsync(10)));

        async Task StepAsync(int caseId, Func<Task> step)
        {
            await bed.UpsertAsync("t1", caseId, $"before-step-{caseId}");
            await Task.WhenAll(readers.Select(r => r.ReadMoreAsync(5)));
            await step();
            await Task.WhenAll(readers.Select(r => r.ReadMoreAsync(5)));
        }

        await StepAsync(0, () => bed.Rebuilds.CutoverAsync(bed.Name));
        await StepAsync(1, () => bed.Rebuilds.RollbackAsync(bed.Name));
        await StepAsync(2, async () =>
        {
            await bed.Rebuilds.StartAsync(bed.Name);
            await bed.Rebuilds.RunAsync(bed.Name);
            await bed.Rebuilds.CutoverAsync(bed.Name);
        });
        await StepAsync(3, () => bed.Rebuilds.RetireAsync(bed.Name, force: true));

        foreach (var reader in readers)
        {
            await reader.DisposeAsync();
        }

        Assert.Empty(readers.SelectMany(r => r.Errors));
        Assert.All(readers, r => Assert.Equal(r.Versions.Order(), r.Versions));
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name));
    }
}
