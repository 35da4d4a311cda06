using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Apply;

/// <summary>A connection killed at any point of a batch leaves all of it or none of it; re-delivery converges.</summary>
public sealed class CrashRecoveryTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    public static TheoryData<string, bool> CrashPoints => new()
    {
        { "dead_letter", false },   // dead-lettering the poison event, first statement of the batch
        { "read_model", false },    // inside the main statement: guarded upsert
        { "checkpoint", false },    // inside the main statement: checkpoint compare-and-set
        { "inbox", true },          // at COMMIT (deferred trigger)
    };

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task A_batch_killed_mid_transaction_leaves_nothing_and_redelivery_converges(string point, bool atCommit)
    {
        var name = $"crash_{point}";
        var projection = new CaseListProjection(ContractFor(name, IdempotencyMode.Inbox));
        var store = await StoreFactory.CreateAsync(db, projection, name + "_rm", configure: o => o.Apply = StoreFactory.NoRetries);
        var applier = store.GetApplier(name);
        EventEnvelope[] first = [Upserted("t1", 1, 1, "open"), Upserted("t1", 2, 1, "open"), Upserted("t2", 1, 2, "assigned")];
        EventEnvelope[] second = [first[0], Upserted("t1", 1, 4, "closed"), Deleted("t1", 2, 3), Upserted("t2", 3, 1, "open"), Envelope("Poison", "t9", 9, 1, 0, null, new { })];
        await applier.ApplyAsync(first);
        var before = await SnapshotAsync(name);

        var table = point switch
        {
            "read_model" => $"\"{name}_rm\"",
            _ => $"\"{db.Schema}_rmk\".{point}",
        };
        await using (var block = await BlockingPoint.InstallAsync(db, table, atCommit))
        {
            var batch = Task.Run(async () => await applier.ApplyAsync(second));
            await block.KillBlockedBackendAsync(TimeSpan.FromSeconds(30));
            var crash = await Assert.ThrowsAnyAsync<NpgsqlException>(() => batch);
            Assert.Contains("terminat", crash.Message + crash.InnerException?.Message, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(before, await SnapshotAsync(name));
        await applier.ApplyAsync(second);
        await applier.ApplyAsync([.. first, .. second]);
        Assert.Equal(EventHistory.Reference([.. first, .. second.SkipLast(1)]), await ReadModelRows.ReadAsync(db.DataSource, name + "_rm"));
        Assert.Equal(6L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".inbox WHERE projection_name = '{name}'"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".dead_letter WHERE projection_name = '{name}'"));
    }

    [Fact]
    public async Task A_transient_connection_loss_is_retried_and_the_batch_lands_once()
    {
        var projection = new CaseListProjection(ContractFor("crash_retry", IdempotencyMode.Inbox));
        var store = await StoreFactory.CreateAsync(db, projection, "crash_retry_rm", configure: o => o.Apply = new ApplierOptions { TransientRetryDelay = TimeSpan.FromMilliseconds(10) });
        var applier = store.GetApplier("crash_retry");
        EventEnvelope[] batch = [Upserted("t1", 1, 1, "open"), Upserted("t1", 1, 2, "assigned")];

        ApplyResult result;
        await using (var block = await BlockingPoint.InstallAsync(db, "\"crash_retry_rm\""))
        {
            var running = Task.Run(async () => await applier.ApplyAsync(batch));
            await block.KillBlockedBackendAsync(TimeSpan.FromSeconds(30));
            await block.ReleaseAsync();
            result = await running;
        }

        Assert.Equal(2, result.Applied);
        Assert.Equal([new CaseRow("t1", 1, "assigned", null, 2, false)], await ReadModelRows.ReadAsync(db.DataSource, "crash_retry_rm"));
    }

    private async Task<string> SnapshotAsync(string name)
    {
        var rows = await ReadModelRows.ReadAsync(db.DataSource, name + "_rm");
        var inbox = await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".inbox WHERE projection_name = '{name}'");
        var dead = await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".dead_letter WHERE projection_name = '{name}'");
        var checkpoint = await db.ScalarAsync<DateTime?>($"SELECT projected_at FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = '{name}'");
        return $"{string.Join(";", rows)} | inbox {inbox} | dead {dead} | checkpoint {checkpoint:O}";
    }
}
