using Npgsql;
using ReadModelKit.Diagnostics;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>The bulk backfill path: plain inserts for keys the new version lacks, the guarded upsert for the rest, and the redo on a race.</summary>
public sealed class BulkBackfillTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_chunk_racing_a_live_insert_of_the_same_key_is_redone_under_the_guard_and_keeps_the_live_version()
    {
        var loggers = new CapturingLoggers();
        var bed = await RebuildBed.CreateAsync(db, "redo_race", o => o.ChunkSize = 10, loggers: loggers);
        await bed.SeedAsync(25);
        await bed.Rebuilds.StartAsync(bed.Name);

        // A live event's write of case 5 into v2, committed only once the first chunk's plain insert waits on it: the chunk read the
        // source (case 5 at version 1) and found v2 without case 5, so its plain insert meets the live row and fails with 23505.
        await using var live = await db.DataSource.OpenConnectionAsync();
        await using var liveTransaction = await live.BeginTransactionAsync();
        await using (var write = new NpgsqlCommand($"INSERT INTO \"{bed.Name}_v2\" (tenant_id, case_id, status, title, version, projected_at) VALUES ('t1', 5, 'live', 'title 5', 7, now())", live, liveTransaction))
        {
            await write.ExecuteNonQueryAsync();
        }

        var running = Task.Run(() => bed.Rebuilds.RunAsync(bed.Name));
        await Eventually.TrueAsync(
            async () => await db.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND {live.ProcessID} = ANY (pg_blocking_pids(pid)))") || running.IsCompleted,
            TimeSpan.FromSeconds(60),
            "the first chunk waits on the live write of case 5");
        await liveTransaction.CommitAsync();
        var run = await running;

        var redone = loggers.Entries.Where(e => e.Id.Id == ReadModelKitEventIds.RebuildChunkRedone).ToList();
        Assert.Single(redone);
        Assert.Contains("chunk after key (start)", redone[0].Text, StringComparison.Ordinal);
        Assert.Equal(25, run.RowsDone);
        var rows = (await bed.RowsAsync(bed.Name + "_v2")).Split(' ');
        Assert.Equal(25, rows.Length);
        Assert.Equal("t1/5:live@7", rows.Single(r => r.StartsWith("t1/5:", StringComparison.Ordinal)));
        Assert.All(rows.Where(r => !r.StartsWith("t1/5:", StringComparison.Ordinal)), r => Assert.EndsWith("@1", r));

        // The gate saw case 5 ahead of the source; once the source has the event's row, the run validates clean.
        Assert.Equal(RebuildRunState.Validating, run.State);
        await bed.SourceUpsertAsync("t1", 5, "live", 7);
        Assert.Equal(RebuildRunState.Ready, (await bed.Rebuilds.RunAsync(bed.Name)).State);
    }

    [Fact]
    public async Task Keys_live_events_wrote_before_their_chunk_go_through_the_guard_and_the_rest_is_inserted_plainly()
    {
        var loggers = new CapturingLoggers();
        var bed = await RebuildBed.CreateAsync(db, "bulk_mixed", o => o.ChunkSize = 7, loggers: loggers);
        await bed.SeedAsync(30);
        await bed.Rebuilds.StartAsync(bed.Name);

        // Live writes into v2 ahead of the backfill, inside several chunks' ranges: a newer row, an older one, a tombstone, and a key
        // the source does not hold yet (written by an event whose source commit has not happened).
        await bed.Store.GetApplier(bed.Name).ApplyAsync([CaseListProjection.Upserted("t1", 3, 9, "newer", "title 3")]);
        await bed.UpsertAsync("t1", 12, "live-current");
        await bed.Store.GetApplier(bed.Name).ApplyAsync([CaseListProjection.Deleted("t1", 20, 5)]);
        await bed.Store.GetApplier(bed.Name).ApplyAsync([CaseListProjection.Upserted("t1", 100, 4, "ahead", "title 100")]);
        var run = await bed.Rebuilds.RunAsync(bed.Name);

        var rows = (await bed.RowsAsync(bed.Name + "_v2")).Split(' ');
        Assert.Equal(31, rows.Length);
        Assert.Equal(30, run.RowsDone);
        Assert.Contains("t1/3:newer@9", rows);
        Assert.Contains("t1/12:live-current@2", rows);
        Assert.Contains("t1/20:deleted@5", rows);
        Assert.Contains("t1/100:ahead@4", rows);
        Assert.Contains("t1/0:s0@1", rows);
        Assert.Contains("t1/29:s29@1", rows);
        Assert.DoesNotContain(loggers.Entries, e => e.Id.Id == ReadModelKitEventIds.RebuildChunkRedone);
    }
}
