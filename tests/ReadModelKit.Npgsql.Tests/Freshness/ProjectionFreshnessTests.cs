using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Freshness;
using ReadModelKit.Npgsql.Health;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Freshness;

public sealed class ProjectionFreshnessTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private async Task<NpgsqlReadModelStore> StoreAsync(string name, TestClock clock, FreshnessContract? freshness = null)
    {
        return await OutboxFixtures.NewProjectionAsync(db, name, freshness: freshness, time: clock);
    }

    private static EventEnvelope Now(TestClock clock, EventEnvelope envelope) => envelope with { OccurredAt = clock.GetUtcNow() };

    [Fact]
    public async Task A_projection_held_behind_a_blocked_apply_turns_stale_and_stalled_then_recovers()
    {
        var clock = new TestClock();
        var store = await StoreAsync("held", clock, new FreshnessContract(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)));
        await using (OutboxFixtures.Start(new ProjectionRunner(store, "held", OutboxFixtures.FastRunner("held-node"))))
        {
            var first = await OutboxFixtures.AppendAsync(store, db.DataSource, "held", Now(clock, Upserted("t1", 1, 1, "open")));
            await store.Freshness.WaitForPositionAsync("held", first, Converge);
            await Eventually.TrueAsync(async () => (await store.Freshness.GetAsync("held")).State == ProjectionState.Live, Converge, "the projection is Live");
            var live = await store.Freshness.GetAsync("held");
            var healthy = await store.Health.EvaluateAsync("held");

            await using var blocker = await db.DataSource.OpenConnectionAsync();
            await using (var block = await blocker.BeginTransactionAsync())
            {
                await using (var lockTable = new global::Npgsql.NpgsqlCommand("LOCK TABLE held_rm IN EXCLUSIVE MODE", blocker, block))
                {
                    await lockTable.ExecuteNonQueryAsync();
                }

                var second = await OutboxFixtures.AppendAsync(store, db.DataSource, "held", Now(clock, Upserted("t1", 2, 1, "open")));
                await Eventually.TrueAsync(
                    async () => await db.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'held_rm'::regclass") > 0,
                    Converge,
                    "the runner's batch waits on the lock");
                clock.Offset = TimeSpan.FromSeconds(45);

                var stale = await store.Freshness.GetAsync("held");
                var stalled = await store.Health.EvaluateAsync("held");
                var status = await store.Freshness.GetStatusAsync("held");

                Assert.True(stale.Stale);
                Assert.True(stale.LagSeconds >= 45, $"lag {stale.LagSeconds}");
                Assert.Equal(ProjectionHealth.Unhealthy, stalled.Health);
                Assert.Contains(stalled.Problems, p => p.StartsWith("partition 0 is stalled: 1 event(s) pending but its checkpoint has not moved for 4", StringComparison.Ordinal));
                Assert.Contains(stalled.Problems, p => p.StartsWith("lag 4", StringComparison.Ordinal) && p.Contains("exceeds the contract's max lag 30 s", StringComparison.Ordinal));
                Assert.Equal(1, status.PendingEvents);
                Assert.InRange(status.Partitions.Single().Position.Value, first.Value, second.Value - 1);
                Assert.True(status.Partitions.Single().LeaseLive);

                await block.RollbackAsync();
                await store.Freshness.WaitForPositionAsync("held", second, Converge);
            }

            await Eventually.TrueAsync(async () => !(await store.Freshness.GetAsync("held")).Stale, Converge, "the projection is fresh again");
            Assert.False(live.Stale);
            Assert.Equal(0, live.LagSeconds);
            Assert.Equal(30, live.MaxStalenessSeconds);
            Assert.Equal(ProjectionHealth.Healthy, healthy.Health);
            Assert.Empty(healthy.Problems);
        }
    }

    [Fact]
    public async Task Read_your_writes_returns_once_the_position_is_applied_and_times_out_with_a_clear_message_otherwise()
    {
        var clock = new TestClock();
        var store = await StoreAsync("ryw", clock);
        var token = await OutboxFixtures.AppendAsync(store, db.DataSource, "ryw", Now(clock, Upserted("t1", 1, 1, "open")));
        var unrelated = await OutboxFixtures.AppendAsync(store, db.DataSource, "another-stream", Now(clock, Upserted("t1", 1, 1, "elsewhere")));

        var timeout = await Assert.ThrowsAsync<ReadYourWritesTimeoutException>(() => store.Freshness.WaitForPositionAsync("ryw", token, TimeSpan.FromMilliseconds(300)));

        Assert.Equal(token, timeout.Position);
        Assert.Equal(1, timeout.PendingEvents);
        Assert.Contains($"Projection 'ryw' has not applied position {token} within 0.3 s (1 event(s) pending", timeout.Message, StringComparison.Ordinal);
        Assert.Contains("The command itself committed; only the read model is behind", timeout.Message, StringComparison.Ordinal);
        Assert.True(unrelated > token);

        await using (OutboxFixtures.Start(new ProjectionRunner(store, "ryw", OutboxFixtures.FastRunner("ryw-node"))))
        {
            await store.Freshness.WaitForPositionAsync("ryw", unrelated, Converge);
            Assert.Equal([new CaseRow("t1", 1, "open", null, 1, false)], await ReadModelRows.ReadAsync(db.DataSource, "ryw_rm"));
        }
    }

    [Fact]
    public async Task For_a_broker_source_the_wait_compares_the_checkpoint_with_the_position()
    {
        await OutboxFixtures.CreateTableAsync(db, "broker_wait_rm");
        var store = await OutboxFixtures.StoreAsync(db, db.DataSource, new CaseListProjection(ContractFor("broker_wait", IdempotencyMode.Inbox)), "broker_wait_rm");
        var applier = store.GetApplier("broker_wait");
        await applier.ApplyAsync([Upserted("t1", 1, 1, "open", position: 4)], expectedCheckpoint: null, partition: 0);

        var early = await Assert.ThrowsAsync<ReadYourWritesTimeoutException>(() => store.Freshness.WaitForPositionAsync("broker_wait", new StreamPosition(5), TimeSpan.FromMilliseconds(100)));
        await applier.ApplyAsync([Upserted("t1", 1, 2, "assigned", position: 5)], expectedCheckpoint: null, partition: 0);
        await store.Freshness.WaitForPositionAsync("broker_wait", new StreamPosition(5), TimeSpan.FromSeconds(10));
        var freshness = await store.Freshness.GetAsync("broker_wait");

        Assert.Equal(new StreamPosition(5), early.Position);
        Assert.Equal(0, freshness.LagSeconds);
        Assert.NotNull(freshness.ProjectedAt);
    }

    [Fact]
    public async Task A_long_writer_transaction_freezes_the_watermark_which_shows_in_lag_and_health_and_nothing_is_skipped()
    {
        var clock = new TestClock();
        var store = await StoreAsync("frozen", clock, new FreshnessContract(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        await using (OutboxFixtures.Start(new ProjectionRunner(store, "frozen", OutboxFixtures.FastRunner("frozen-node"))))
        {
            await using var slow = await db.DataSource.OpenConnectionAsync();
            var slowTransaction = await slow.BeginTransactionAsync();
            await store.Outbox.AppendAsync(slow, slowTransaction, "frozen", [Now(clock, Upserted("t1", 1, 1, "slow"))]);
            var after = await OutboxFixtures.AppendAsync(store, db.DataSource, "frozen", Now(clock, Upserted("t1", 2, 1, "quick")));

            await Eventually.TrueAsync(
                async () => (await store.Health.EvaluateAsync("frozen")).Problems.Any(p => p.StartsWith("watermark frozen", StringComparison.Ordinal)),
                Converge,
                "health names the frozen watermark");
            clock.Offset = TimeSpan.FromSeconds(10);
            var report = await store.Health.EvaluateAsync("frozen");
            var freshness = await store.Freshness.GetAsync("frozen");

            Assert.NotEqual(ProjectionHealth.Healthy, report.Health);
            Assert.Contains(report.Problems, p => p.StartsWith("watermark frozen: 1 committed event(s) wait behind a transaction running for", StringComparison.Ordinal) && p.Contains("Nothing is skipped", StringComparison.Ordinal));
            Assert.Equal(1, report.Status.HeldBackEvents);
            Assert.NotNull(report.Status.OldestWriter);
            Assert.True(freshness.LagSeconds >= 10, $"lag {freshness.LagSeconds}");
            Assert.Empty(await ReadModelRows.ReadAsync(db.DataSource, "frozen_rm"));

            await slowTransaction.CommitAsync();
            await slowTransaction.DisposeAsync();
            await store.Freshness.WaitForPositionAsync("frozen", after, Converge);
            Assert.Equal(
                [new CaseRow("t1", 1, "slow", null, 1, false), new CaseRow("t1", 2, "quick", null, 1, false)],
                await ReadModelRows.ReadAsync(db.DataSource, "frozen_rm"));
        }
    }
}
