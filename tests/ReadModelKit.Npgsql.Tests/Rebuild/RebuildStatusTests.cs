using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Freshness;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>The projection's status while a rebuild runs: Rebuilding from planning until the gate passed, and the active run's figures.</summary>
public sealed class RebuildStatusTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task The_status_reads_Rebuilding_with_the_active_runs_progress_until_the_gate_passed_and_shows_the_run_until_it_ends()
    {
        var failGate = true;
        var bed = await RebuildBed.CreateAsync(db, "status_rb", o =>
        {
            o.ChunkSize = 10;
            o.GateCallback = (_, _) => Task.FromResult(failGate ? "held for the test" : null);
        });
        await bed.SeedAsync(25);
        Task<ProjectionStatus> Status() => bed.Store.Freshness.GetStatusAsync(bed.Name);

        var before = await Status();
        Assert.Null(before.RebuildInProgress);
        Assert.NotEqual(ProjectionState.Rebuilding, before.State);

        var planned = await bed.Rebuilds.StartAsync(bed.Name);
        var afterPlanning = await Status();
        Assert.Equal(ProjectionState.Rebuilding, afterPlanning.State);
        Assert.Equal(new ActiveRebuild(planned.Id, RebuildRunState.Planned, 0), afterPlanning.RebuildInProgress);

        // Read during the backfill, from the progress callback (after each chunk committed).
        var during = new List<ProjectionStatus>();
        var validating = await bed.Rebuilds.RunAsync(bed.Name, new SyncProgress(_ => during.Add(Status().GetAwaiter().GetResult())));
        Assert.Equal(RebuildRunState.Validating, validating.State);
        Assert.All(during, s => Assert.Equal(ProjectionState.Rebuilding, s.State));
        Assert.Equal(
            [(RebuildRunState.Backfilling, 10L), (RebuildRunState.Backfilling, 20L), (RebuildRunState.CatchingUp, 25L)],
            during.Select(s => (s.RebuildInProgress!.Value.State, s.RebuildInProgress.Value.RowsDone)));

        // A failed gate keeps the projection Rebuilding; once it passes the run is still shown, but the state is the partitions' again.
        var held = await Status();
        Assert.Equal((ProjectionState.Rebuilding, RebuildRunState.Validating), (held.State, held.RebuildInProgress!.Value.State));
        failGate = false;
        Assert.Equal(RebuildRunState.Ready, (await bed.Rebuilds.RunAsync(bed.Name)).State);
        var ready = await Status();
        Assert.Equal(before.State, ready.State);
        Assert.Equal(new ActiveRebuild(planned.Id, RebuildRunState.Ready, 25), ready.RebuildInProgress);

        await bed.Rebuilds.CutoverAsync(bed.Name);
        Assert.Equal(RebuildRunState.CutOver, (await Status()).RebuildInProgress!.Value.State);
        await bed.Rebuilds.RetireAsync(bed.Name, force: true);
        var retired = await Status();
        Assert.Null(retired.RebuildInProgress);
        Assert.Equal(before.State, retired.State);
    }
}
