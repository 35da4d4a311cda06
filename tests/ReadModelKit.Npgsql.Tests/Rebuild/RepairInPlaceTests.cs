using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>Repair in place of one key, a tenant or a key range into the serving table, under the version guard, in bounded batches.</summary>
public sealed class RepairInPlaceTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Repairing_one_key_fixes_it_and_nothing_else()
    {
        var bed = await RebuildBed.CreateAsync(db, "repair_key");
        await bed.SeedAsync(4);
        await db.ExecuteAsync("UPDATE repair_key SET status = 'corrupt' WHERE case_id IN (1, 2)");

        var result = await bed.Rebuilds.RepairAsync(bed.Name, new DriftScope { KeyPrefix = ["t1", 1] });

        Assert.Equal((1L, 1L, 1), (result.KeysChecked, result.RowsWritten, result.Batches));
        Assert.Equal(["t1", "1"], result.LastKey);
        Assert.Equal("t1/0:s0@1 t1/1:s1@1 t1/2:corrupt@1 t1/3:s3@1", await bed.LiveRowsAsync(bed.Name));
    }

    [Fact]
    public async Task Repairing_a_tenant_behind_the_stable_view_restores_missing_rows_tombstones_extra_ones_and_keeps_newer_writes()
    {
        var bed = await RebuildBed.CreateAsync(db, "repair_tenant", o => o.ChunkSize = 2);
        await bed.SeedAsync(3, "t1");
        await bed.SeedAsync(5, "t2");
        await bed.Rebuilds.AdoptAsync(bed.Name);
        await db.ExecuteAsync("""
            UPDATE repair_tenant SET status = 'corrupt' WHERE case_id = 0;
            DELETE FROM repair_tenant WHERE tenant_id = 't2' AND case_id = 1;
            INSERT INTO repair_tenant VALUES ('t2', 9, 'ghost', null, 4, now(), null);
            """);
        // A live event the source has not caught up with (its source row still says version 1): the repair must not undo it.
        await bed.Store.GetApplier(bed.Name).ApplyAsync([CaseListProjection.Upserted("t2", 3, 7, "newer", "title 3")]);

        var batches = new List<long>();
        var result = await bed.Rebuilds.RepairAsync(bed.Name, DriftScope.Tenant("t2"), progress: new SyncProgress(p => batches.Add(p.RowsDone)));

        Assert.Equal("t1/0:corrupt@1 t1/1:s1@1 t1/2:s2@1 t2/0:s0@1 t2/1:s1@1 t2/2:s2@1 t2/3:newer@7 t2/4:s4@1", await bed.LiveRowsAsync(bed.Name));
        Assert.Contains("t2/9:deleted@5", await bed.RowsAsync(bed.Name));
        Assert.Equal((6L, 3L, 4), (result.KeysChecked, result.RowsWritten, result.Batches));
        Assert.Equal([2L, 4L, 6L, 6L], batches);
        Assert.Equal(["t2", "9"], result.LastKey);
    }

    [Fact]
    public async Task Repairing_a_key_range_stays_inside_it_and_resumes_after_the_last_key_done()
    {
        var bed = await RebuildBed.CreateAsync(db, "repair_range", o => o.ChunkSize = 2);
        await bed.SeedAsync(10);
        await db.ExecuteAsync("UPDATE repair_range SET status = 'corrupt'");

        var range = DriftScope.Range(new RowKey("t1", 2), new RowKey("t1", 7));
        var resumed = await bed.Rebuilds.RepairAsync(bed.Name, range, resumeAfter: ["t1", "4"]);
        var rows = (await bed.LiveRowsAsync(bed.Name)).Split(' ');

        Assert.Equal((2L, 2L, 2), (resumed.KeysChecked, resumed.RowsWritten, resumed.Batches));
        Assert.Equal(["t1/5:s5@1", "t1/6:s6@1"], rows.Where(r => !r.Contains("corrupt", StringComparison.Ordinal)));
        var full = await bed.Rebuilds.RepairAsync(bed.Name, range);
        Assert.Equal((5L, 3L), (full.KeysChecked, full.RowsWritten));
        Assert.Equal(5, (await bed.LiveRowsAsync(bed.Name)).Split(' ').Count(r => r.Contains("corrupt", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_scope_that_does_not_fit_the_key_is_refused()
    {
        var bed = await RebuildBed.CreateAsync(db, "repair_bad");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => bed.Rebuilds.RepairAsync(bed.Name, DriftScope.Range(new RowKey("t1"), null)));

        Assert.StartsWith("The repair scope does not fit the keys of projection 'repair_bad' (\"tenant_id\", \"case_id\"): Scope.From is (t1) with 1 value(s) but the table has 2 key column(s): give a full key.", error.Message);
    }
}
