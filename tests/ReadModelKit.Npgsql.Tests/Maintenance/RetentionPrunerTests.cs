using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Maintenance;

public sealed class RetentionPrunerTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Old_inbox_rows_go_in_bounded_batches_and_rows_held_by_another_transaction_are_skipped_not_waited_for()
    {
        var projection = new CaseListProjection(ContractFor("prune_inbox", IdempotencyMode.Inbox));
        var store = await StoreFactory.CreateAsync(db, projection, "prune_inbox_rm");
        await store.GetApplier("prune_inbox").ApplyAsync(Enumerable.Range(1, 40).Select(i => Upserted("t1", i, 1, "open")).ToArray());
        var inbox = $"\"{db.Schema}_rmk\".inbox";
        await db.ExecuteAsync($"UPDATE {inbox} SET processed_at = now() - interval '10 days' WHERE projection_name = 'prune_inbox' AND event_id IN (SELECT event_id FROM {inbox} WHERE projection_name = 'prune_inbox' ORDER BY event_id LIMIT 35)");

        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using var held = await holder.BeginTransactionAsync();
        await using (var lockSome = new NpgsqlCommand($"SELECT event_id FROM {inbox} WHERE projection_name = 'prune_inbox' AND processed_at < now() - interval '1 day' ORDER BY event_id LIMIT 5 FOR UPDATE", holder, held))
        {
            await lockSome.ExecuteNonQueryAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var pruned = await store.Retention.PruneInboxAsync("prune_inbox", TimeSpan.FromDays(7), batchSize: 10, cancellationToken: timeout.Token);
        await held.RollbackAsync();

        Assert.Equal(30, pruned);
        Assert.Equal(10L, await db.ScalarAsync<long>($"SELECT count(*) FROM {inbox} WHERE projection_name = 'prune_inbox'"));
        Assert.Equal(5L, await db.ScalarAsync<long>($"SELECT count(*) FROM {inbox} WHERE projection_name = 'prune_inbox' AND processed_at < now() - interval '7 days'"));
    }

    [Fact]
    public async Task Tombstones_older_than_the_horizon_are_purged_and_newer_ones_kept()
    {
        var projection = new CaseListProjection(ContractFor("prune_tomb", IdempotencyMode.Inbox));
        var store = await StoreFactory.CreateAsync(db, projection, "prune_tomb_rm");
        var applier = store.GetApplier("prune_tomb");
        await applier.ApplyAsync([Upserted("t1", 1, 1, "open"), Deleted("t1", 2, 2), Deleted("t1", 3, 2)]);
        await db.ExecuteAsync("UPDATE prune_tomb_rm SET deleted_at = now() - interval '40 days' WHERE case_id = 2");

        var purged = await store.Retention.PurgeTombstonesAsync(applier.Table, TimeSpan.FromDays(30), batchSize: 1);

        Assert.Equal(1, purged);
        Assert.Equal("1,3", await db.ScalarAsync<string>("SELECT string_agg(case_id::text, ',' ORDER BY case_id) FROM prune_tomb_rm"));
    }
}
