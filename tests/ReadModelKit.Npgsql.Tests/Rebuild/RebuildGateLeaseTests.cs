using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>
/// The gate commits nothing while it checks, so its lease is renewed meanwhile: a gate longer than <see cref="RebuildOptions.LeaseDuration"/>
/// saves its verdict (it used to end in <see cref="RebuildLeaseLostException"/>), and a run another node took over is still refused.
/// </summary>
public sealed class RebuildGateLeaseTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_gate_longer_than_the_lease_keeps_the_lease_and_saves_its_verdict()
    {
        var gate = new HeldGate(honoursCancellation: true);
        var bed = await RebuildBed.CreateAsync(db, "gl_slow", o => { o.LeaseDuration = TimeSpan.FromSeconds(1); o.GateCallback = gate.CheckAsync; });
        await bed.SeedAsync(5);
        await bed.Rebuilds.StartAsync(bed.Name);

        var running = bed.Rebuilds.RunAsync(bed.Name);
        await gate.Entered.WaitAsync(Converge);
        var firstExpiry = await ExpiryAsync(bed);
        await Eventually.TrueAsync(async () => await db.ScalarAsync<bool>($"SELECT now() > '{firstExpiry:O}'::timestamptz"), Converge, "the gate outlasted the lease it started with");
        await Eventually.TrueAsync(async () => await ExpiryAsync(bed) > firstExpiry, Converge, "the gate's lease was renewed");
        Assert.False(running.IsCompleted, "the gate is held");
        gate.Release();

        var run = await running;

        Assert.Equal(RebuildRunState.Ready, run.State);
        Assert.True(run.GatePassed);
        Assert.Null(run.Owner);
        Assert.Equal(await bed.ExpectedLiveAsync(), await bed.LiveRowsAsync(bed.Name + "_v2"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_gate_whose_run_another_node_took_over_is_refused_and_saves_no_verdict(bool honoursCancellation)
    {
        var gate = new HeldGate(honoursCancellation);
        var bed = await RebuildBed.CreateAsync(db, honoursCancellation ? "gl_taken" : "gl_taken_late", o => { o.LeaseDuration = TimeSpan.FromSeconds(1); o.GateCallback = gate.CheckAsync; });
        await bed.SeedAsync(5);
        await bed.Rebuilds.StartAsync(bed.Name);

        var running = bed.Rebuilds.RunAsync(bed.Name);
        await gate.Entered.WaitAsync(Converge);
        await db.ExecuteAsync($"UPDATE \"{bed.Store.Schema}\".rebuild_run SET owner = 'node-c', token = token + 1, lease_expires_at = now() + interval '1 hour' WHERE projection_name = '{bed.Name}'");
        if (!honoursCancellation)
        {
            // A callback that ignores cancellation returns after the takeover: the verdict's own fence refuses it.
            gate.Release();
        }

        var lost = await Assert.ThrowsAsync<RebuildLeaseLostException>(() => running);

        Assert.Equal("node-a", lost.NodeId);
        var run = (await bed.Rebuilds.GetRunAsync(bed.Name))!;
        Assert.Equal((RebuildRunState.Validating, (bool?)null, "node-c"), (run.State, run.GatePassed, run.Owner));
    }

    private Task<DateTime> ExpiryAsync(RebuildBed bed) =>
        db.ScalarAsync<DateTime>($"SELECT lease_expires_at FROM \"{bed.Store.Schema}\".rebuild_run WHERE projection_name = '{bed.Name}'");

    /// <summary>A gate callback that passes once released; until then it holds the gate.</summary>
    private sealed class HeldGate(bool honoursCancellation)
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _released.TrySetResult();

        public async Task<string?> CheckAsync(RebuildGateContext context, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            await (honoursCancellation ? _released.Task.WaitAsync(cancellationToken) : _released.Task);
            return null;
        }
    }
}
