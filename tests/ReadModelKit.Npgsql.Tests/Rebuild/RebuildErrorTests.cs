using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>Every bad rebuild request gets its own exception and message, and leaves nothing half-done.</summary>
public sealed class RebuildErrorTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_second_rebuild_while_one_runs_is_refused_and_creates_nothing()
    {
        var bed = await RebuildBed.CreateAsync(db, "err_twice");
        var first = await bed.Rebuilds.StartAsync(bed.Name);

        var error = await Assert.ThrowsAsync<RebuildAlreadyRunningException>(() => bed.Rebuilds.StartAsync(bed.Name));

        Assert.Equal($"Projection 'err_twice' already has rebuild run {first.Id} (v1 -> v2) in state Planned: only one rebuild per projection runs at a time. Finish it (resume it with RunAsync, then CutoverAsync and RetireAsync), roll it back, or cancel it with CancelAsync before starting another.", error.Message);
        Assert.Null(await bed.RelKindAsync("err_twice_v3"));
        Assert.Equal("1,2", string.Join(",", (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed));
    }

    [Fact]
    public async Task Cutover_before_the_gate_passed_is_refused_and_the_view_keeps_serving_the_old_version()
    {
        var bed = await RebuildBed.CreateAsync(db, "err_early", o => o.GateCallback = (context, _) => Task.FromResult<string?>(context.NewRows == 0 ? null : $"{context.NewRows} rows is not what we expect"));
        await bed.SeedAsync(3);
        var run = await bed.Rebuilds.StartAsync(bed.Name);

        var early = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.CutoverAsync(bed.Name));
        Assert.Equal($"Cutover of projection 'err_early' refused: rebuild run {run.Id} is Planned and the gate has not passed yet. Run RunAsync until it returns Ready, then cut over.", early.Message);

        var validated = await bed.Rebuilds.RunAsync(bed.Name);
        Assert.Equal((RebuildRunState.Validating, false), (validated.State, validated.GatePassed));
        Assert.EndsWith(" - the application's gate callback refused: 3 rows is not what we expect", validated.GateReport);
        var failed = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.CutoverAsync(bed.Name));
        Assert.Equal($"Cutover of projection 'err_early' refused: the gate of rebuild run {run.Id} failed. {validated.GateReport} Fix the cause and run RunAsync again to re-validate.", failed.Message);
        Assert.Equal(1, (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Serving);
        Assert.Contains("FROM err_early_v1", await db.ScalarAsync<string>("SELECT pg_get_viewdef('\"err_early\"'::regclass)"));
    }

    [Fact]
    public async Task Rollback_after_retire_is_refused_and_the_new_version_keeps_serving()
    {
        var bed = await RebuildBed.CreateAsync(db, "err_retired");
        await bed.SeedAsync(2);
        var run = await bed.Rebuilds.StartAsync(bed.Name);
        await bed.Rebuilds.RunAsync(bed.Name);
        await bed.Rebuilds.CutoverAsync(bed.Name);
        var early = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.RetireAsync(bed.Name));
        Assert.StartsWith("Retire of projection 'err_retired' refused: the grace period after the cutover ends at ", early.Message);
        var retired = await bed.Rebuilds.RetireAsync(bed.Name, force: true);

        var error = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.RollbackAsync(bed.Name));

        Assert.Equal($"Rollback of projection 'err_retired' refused: v1 was retired at {retired.FinishedAt:u} and no longer receives writes, so it is out of date. To go back, rebuild again (StartAsync) into a new version and cut over to it.", error.Message);
        Assert.Equal((RebuildRunState.Retired, "rollback"), (error.State, error.Operation));
        Assert.Equal(2, (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Serving);
        Assert.Equal(run.Id, (await bed.Rebuilds.GetRunAsync(bed.Name))!.Id);
    }

    [Fact]
    public async Task Rollback_and_cancel_without_a_matching_run_are_refused()
    {
        var bed = await RebuildBed.CreateAsync(db, "err_nothing");

        var rollback = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.RollbackAsync(bed.Name));
        var cancel = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.CancelAsync(bed.Name));
        var run = await bed.Rebuilds.StartAsync(bed.Name);
        var rollbackEarly = await Assert.ThrowsAsync<RebuildStateException>(() => bed.Rebuilds.RollbackAsync(bed.Name));

        Assert.Equal("Projection 'err_nothing' has never been rebuilt: there is no earlier version to roll back to.", rollback.Message);
        Assert.Equal("Projection 'err_nothing' has no rebuild to cancel: start one with StartAsync.", cancel.Message);
        Assert.Equal($"Rollback of projection 'err_nothing' refused: rebuild run {run.Id} is Planned and the view still serves v1, so there is nothing to roll back. Stop the rebuild with CancelAsync.", rollbackEarly.Message);
    }

    [Theory]
    [InlineData("no-query", "the mapping has no RecomputeSql. Declare the query that returns, for every key, the row the read model should hold (key, value and version columns under the read-model names).")]
    [InlineData("no-version", "its RecomputeSql does not return the source's version (RecomputeReturnsVersion is false), so a chunk read before a live event commits could overwrite that event. Return the source row's version as column 'version' and set RecomputeReturnsVersion = true.")]
    [InlineData("no-tombstone", "the mapping has no TombstoneColumn, so a delete leaves no versioned trace and a chunk read before the delete would bring the row back. Map a tombstone column (for example deleted_at timestamptz) and emit RowChange.Tombstone for deletes.")]
    [InlineData("missing-column", "its RecomputeSql fails when selecting the mapped columns (\"tenant_id\", \"case_id\", \"status\", \"title\", \"version\"): column q.title does not exist. It must return every key and value column and the version column under the read-model names (alias them with AS).")]
    public async Task A_recompute_query_that_cannot_serve_a_backfill_is_named_at_planning_and_nothing_is_created(string flaw, string reason)
    {
        var name = "err_q_" + flaw.Replace("-", "_", StringComparison.Ordinal);
        var bed = await RebuildBed.CreateAsync(db, name, mapping: m => flaw switch
        {
            "no-query" => m with { RecomputeSql = null, RecomputeReturnsVersion = false },
            "no-version" => m with { RecomputeReturnsVersion = false },
            "no-tombstone" => m with { TombstoneColumn = null },
            _ => m with { RecomputeSql = $"SELECT tenant_id, case_id, status, version FROM {name}_src" },
        });

        var error = await Assert.ThrowsAsync<RecomputeQueryCannotBackfillException>(() => bed.Rebuilds.StartAsync(name));

        Assert.Equal($"Projection '{name}' cannot be rebuilt by backfill: {reason}", error.Message);
        Assert.Equal("r", await bed.RelKindAsync(name));
        Assert.Null(await bed.Rebuilds.GetRunAsync(name));
    }

    [Theory]
    [InlineData(RebuildMethod.SnapshotThenReplay, "Projection 'err_m_snapshotthenreplay' declares rebuild method SnapshotThenReplay, which this release does not run yet: BackfillFromCanonicalTables and ReplayEvents are supported. Declare a RecomputeSql returning the source version (RecomputeReturnsVersion) and set the contract's Rebuild to BackfillFromCanonicalTables, or replay an outbox-fed projection with ReplayEvents.")]
    [InlineData(RebuildMethod.NotRebuildable, "Projection 'err_m_notrebuildable' is declared NotRebuildable in its contract, so it cannot be rebuilt. Repair keys in place with RepairAsync, or change the contract's Rebuild to BackfillFromCanonicalTables and give the mapping a RecomputeSql.")]
    public async Task A_rebuild_method_this_release_cannot_run_is_refused(RebuildMethod method, string message)
    {
        var name = "err_m_" + method.ToString().ToLowerInvariant();
        var bed = await RebuildBed.CreateAsync(db, name, method: method);

        var error = await Assert.ThrowsAsync<RebuildMethodNotSupportedException>(() => bed.Rebuilds.StartAsync(name));

        Assert.Equal(message, error.Message);
        Assert.Equal(method, error.Method);
        Assert.Null(await bed.Rebuilds.GetRunAsync(name));
    }

    [Fact]
    public async Task A_new_version_that_changes_a_view_column_is_refused_and_an_appended_column_is_allowed()
    {
        var bed = await RebuildBed.CreateAsync(db, "err_shape");
        await bed.SeedAsync(2);
        const string retyped = """
            CREATE TABLE {0} (tenant_id text NOT NULL, case_id bigint NOT NULL, status text, title text, version bigint NOT NULL,
                              projected_at timestamptz NOT NULL, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id))
            """;

        var error = await Assert.ThrowsAsync<IncompatibleViewShapeException>(() => bed.Rebuilds.StartAsync(bed.Name, retyped));

        Assert.Equal("The columns of the new version of projection 'err_shape' are not an expansion of view " + db.Schema + ".err_shape: column 'case_id' changes type from integer to bigint. A switch may only append columns. Roll the change out in two steps: first rebuild into a version that keeps every existing column (new columns appended at the end) and deploy readers that no longer use the old column; then rebuild again without it.", error.Message);
        Assert.Null(await bed.RelKindAsync("err_shape_v2"));
        Assert.Null(await bed.Rebuilds.GetRunAsync(bed.Name));
        Assert.Equal("1", string.Join(",", (await bed.Rebuilds.GetVersionsAsync(bed.Name)).Fed));

        // Appending a column is an expansion: readers see it after the cutover, and as NULL after a rollback.
        await bed.Rebuilds.StartAsync(bed.Name, "CREATE TABLE {0} (LIKE err_shape_v1 INCLUDING ALL, priority integer DEFAULT 3)");
        await bed.Rebuilds.RunAsync(bed.Name);
        await bed.Rebuilds.CutoverAsync(bed.Name);
        Assert.Equal(3, await db.ScalarAsync<int>("SELECT priority FROM err_shape WHERE case_id = 1"));
        await bed.Rebuilds.RollbackAsync(bed.Name);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(priority) FROM err_shape"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM err_shape"));
    }
}
