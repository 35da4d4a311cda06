using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Npgsql.Tests.Privacy;
using static ReadModelKit.Npgsql.Tests.Privacy.PartyProjection;

namespace ReadModelKit.Npgsql.Tests.DeadLetters;

/// <summary>
/// The redacted dead-letter path end to end under partitioned outbox runners (own schema: the pruner counts every runner in the
/// lease table as a reader, so the class keeps its runners away from other tests' streams).
/// </summary>
public sealed class RedactedDeadLetterRunnerTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Under_running_partitioned_runners_a_redacted_dead_letter_keeps_its_events_through_pruning_and_its_skip_restores_them_from_the_outbox()
    {
        var secret = "Noa Runner-Faria " + Guid.NewGuid().ToString("N")[..8];
        var loggers = new CapturingLoggers();
        var contract = ContractFor("ob_run") with { Source = new ProjectionSource(SourceKind.Outbox, "ob_run"), Idempotency = IdempotencyMode.Checkpoint };
        var store = await CreateStoreAsync(db, [new PartyProjection(contract)], loggers: loggers);
        var pruner = new OutboxPruner(store);
        var dead = Event("BadParty", "t1", 1, 1, secret + " 1");
        var parked = new[] { Event("PartySet", "t1", 1, 2, secret + " 2"), Event("PartySet", "t1", 1, 3, secret + " 3") };
        var others = Enumerable.Range(2, 5).Select(i => Event("PartySet", "t1", i, 1, "Other " + i)).ToArray();
        var runner = new ProjectionRunner(store, "ob_run", OutboxFixtures.FastRunner("ob-run-node", partitions: 2), loggers: loggers);
        ApplyResult skipped;
        await using (OutboxFixtures.Start(runner))
        {
            await OutboxFixtures.AppendAsync(store, db.DataSource, "ob_run", dead, parked[0]);
            await OutboxFixtures.AppendAsync(store, db.DataSource, "ob_run", others);
            await OutboxFixtures.AppendAsync(store, db.DataSource, "ob_run", parked[1]);
            await Eventually.TrueAsync(async () => (await store.DeadLetters.ListAsync("ob_run")).Count == 3 && await db.ScalarAsync<long>("SELECT count(*) FROM ob_run") == 5, TimeSpan.FromSeconds(60), "the runners dead-letter one key and apply the others");

            // Pruning, as often as the checkpoints allow, never takes the dead-lettered events.
            await Eventually.TrueAsync(
                async () =>
                {
                    await pruner.PruneAsync("ob_run", TimeSpan.Zero);
                    return await OutboxEventsAsync("ob_run") == string.Join(",", parked.Prepend(dead).Select(e => e.EventId));
                },
                TimeSpan.FromSeconds(60),
                "pruning deletes every event but the three of the open dead letters");

            skipped = await store.DeadLetters.SkipAsync("ob_run", dead.EventId);

            // The runners stay up: a partition's checkpoint passes the last events (of the other partition) only while its runner
            // polls, and pruning waits for every partition. Transactions of other tests on the shared cluster may hold it back a while.
            await Eventually.TrueAsync(
                async () =>
                {
                    await pruner.PruneAsync("ob_run", TimeSpan.Zero);
                    return await OutboxEventsAsync("ob_run") is null;
                },
                TimeSpan.FromSeconds(60),
                "pruning deletes the events of the skipped dead letters too");
        }

        Assert.Equal((2, 0), (skipped.Applied, skipped.Released.Count));
        Assert.Equal($"3:{secret} 3", await db.ScalarAsync<string>("SELECT version || ':' || party_display_name FROM ob_run WHERE case_id = 1"));
        // The outbox is pruned now: the value is in no library table at all, and in no log line.
        Assert.DoesNotContain(await LibraryRows.ReadAsync(db), t => t.Text.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(loggers.Entries, e => e.Text.Contains(secret, StringComparison.Ordinal));
    }

    private Task<string?> OutboxEventsAsync(string stream) =>
        db.ScalarAsync<string>($"SELECT string_agg(event_id::text, ',' ORDER BY version, ordering_key) FROM \"{db.Schema}_rmk\".outbox WHERE stream = '{stream}'");
}
