using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Freshness;
using ReadModelKit.Npgsql.Health;

namespace ReadModelKit.Npgsql.Tests.Health;

public sealed class ProjectionHealthCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 7, 5, 3, 10, 0, TimeSpan.Zero);
    private static readonly FreshnessContract Freshness = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));

    private static PartitionStatus Partition(int pending = 0, double oldestAgo = 0, double movedAgo = 1, bool leaseLive = true, ProjectionState state = ProjectionState.Live, long heldBack = 0) =>
        new(0, new StreamPosition(100), Now.AddSeconds(-60), Now.AddSeconds(-movedAgo), state, state == ProjectionState.Faulted ? "boom" : null, Now.AddSeconds(-movedAgo),
            pending, heldBack, pending > 0 ? Now.AddSeconds(-oldestAgo) : null, leaseLive ? "node-a" : null, leaseLive ? Now.AddSeconds(20) : null, leaseLive);

    private static ProjectionStatus Status(PartitionStatus partition, WatermarkHolder? holder = null) => new()
    {
        ProjectionName = "cases",
        State = partition.State,
        Partitions = [partition],
        OldestWriter = holder,
        LiveNodes = 1,
        ReadAt = Now,
    };

    [Fact]
    public void A_caught_up_projection_is_healthy()
    {
        var report = ProjectionHealthCheck.Evaluate(Freshness, Status(Partition(movedAgo: 3600)));

        Assert.Equal(ProjectionHealth.Healthy, report.Health);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void Lag_above_expected_but_within_max_is_degraded()
    {
        var report = ProjectionHealthCheck.Evaluate(Freshness, Status(Partition(pending: 4, oldestAgo: 12)));

        Assert.Equal(ProjectionHealth.Degraded, report.Health);
        Assert.Equal(["lag 12 s is above the expected 5 s (max 30 s)."], report.Problems);
    }

    [Fact]
    public void Pending_events_with_a_checkpoint_that_does_not_move_are_a_stall_even_when_the_loop_is_alive()
    {
        var report = ProjectionHealthCheck.Evaluate(Freshness, Status(Partition(pending: 3, oldestAgo: 20, movedAgo: 40)));

        Assert.Equal(ProjectionHealth.Unhealthy, report.Health);
        Assert.Equal("partition 0 is stalled: 3 event(s) pending but its checkpoint has not moved for 40 s (max lag 30 s); last error: none.", report.Problems[0]);
    }

    [Fact]
    public void Pending_events_that_no_runner_holds_are_unhealthy()
    {
        var report = ProjectionHealthCheck.Evaluate(Freshness, Status(Partition(pending: 2, oldestAgo: 1, leaseLive: false)));

        Assert.Equal(ProjectionHealth.Unhealthy, report.Health);
        Assert.Equal("partition 0 has 2 pending event(s) but no runner holds it (no owner): start a ProjectionRunner for the projection, or find why its heartbeats stopped.", report.Problems.Single());
    }

    [Fact]
    public void A_faulted_partition_names_its_error_and_the_way_out()
    {
        var report = ProjectionHealthCheck.Evaluate(Freshness, Status(Partition(state: ProjectionState.Faulted)));

        Assert.Equal(ProjectionHealth.Unhealthy, report.Health);
        Assert.Equal("partition 0 is Faulted: boom. Fix the cause (or dead-letter the event), then store.Control.RestartAsync(\"cases\", 0): it resumes from checkpoint 100.", report.Problems.Single());
    }

    [Fact]
    public void A_paused_partition_is_degraded_not_stalled_and_says_how_to_resume()
    {
        var report = ProjectionHealthCheck.Evaluate(Freshness, Status(Partition(state: ProjectionState.Paused, pending: 3, oldestAgo: 3600, movedAgo: 3600, leaseLive: false)));

        Assert.Equal(ProjectionHealth.Degraded, report.Health);
        Assert.Equal(["partition 0 is Paused by an operator (3 event(s) pending); resume it with store.Control.ResumeAsync(\"cases\", 0).", "lag 3600 s exceeds the contract's max lag 30 s (3 event(s) pending)."], report.Problems);
    }

    [Theory]
    [InlineData(10, ProjectionHealth.Degraded)]
    [InlineData(45, ProjectionHealth.Unhealthy)]
    public void A_long_transaction_holding_back_events_is_named_with_its_process_id(double age, ProjectionHealth expected)
    {
        var holder = new WatermarkHolder(4242, "app", "billing-batch", "idle in transaction", Now.AddSeconds(-age), TimeSpan.FromSeconds(age));

        var report = ProjectionHealthCheck.Evaluate(Freshness, Status(Partition(pending: 1, oldestAgo: 2, heldBack: 1), holder));

        Assert.Equal(expected, report.Health);
        Assert.Contains(report.Problems, p => p.StartsWith($"watermark frozen: 1 committed event(s) wait behind a transaction running for {age} s (pid 4242, database app, application 'billing-batch', state idle in transaction)", StringComparison.Ordinal)
            && p.Contains("pg_terminate_backend(4242)", StringComparison.Ordinal));
    }

    [Fact]
    public void Property_the_verdict_follows_the_problems_and_never_calls_a_lag_beyond_max_healthy()
    {
        var statuses =
            from pending in Gen.Choose(0, 5)
            from oldestAgo in Gen.Choose(0, 120)
            from movedAgo in Gen.Choose(0, 120)
            from live in ArbMap.Default.GeneratorFor<bool>()
            from state in Gen.Elements(ProjectionState.Live, ProjectionState.CatchingUp, ProjectionState.Stale, ProjectionState.Faulted, ProjectionState.Paused)
            select Status(Partition(pending, oldestAgo, movedAgo, live, state));

        Prop.ForAll(statuses.ToArbitrary(), status =>
        {
            var report = ProjectionHealthCheck.Evaluate(Freshness, status);
            var partition = status.Partitions[0];
            var paused = partition.State == ProjectionState.Paused;

            // A pause is intended: its lag and unheld pending events make the verdict Degraded, never Healthy, never Unhealthy.
            return (report.Health == ProjectionHealth.Healthy) == (report.Problems.Count == 0)
                && (!paused || report.Health == ProjectionHealth.Degraded)
                && (paused || status.Lag <= Freshness.MaxLag || report.Health == ProjectionHealth.Unhealthy)
                && (paused || partition.PendingEvents == 0 || partition.LeaseLive || report.Health == ProjectionHealth.Unhealthy)
                && (partition.State != ProjectionState.Faulted || report.Health == ProjectionHealth.Unhealthy);
        }).QuickCheckThrowOnFailure();
    }
}
