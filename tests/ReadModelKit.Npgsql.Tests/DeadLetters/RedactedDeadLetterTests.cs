using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.DeadLetters;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Privacy;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Npgsql.Tests.Privacy;
using static ReadModelKit.Npgsql.Tests.Privacy.PartyProjection;

namespace ReadModelKit.Npgsql.Tests.DeadLetters;

/// <summary>
/// Dead letters whose personal data was stored as digests (no sealing key): restored from the outbox for outbox-fed projections,
/// kept by the outbox pruner while open, and released for re-delivery when their payload can be restored from nowhere.
/// </summary>
public sealed class RedactedDeadLetterTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private string Library => $"\"{db.Schema}_rmk\"";

    [Fact]
    public async Task An_outbox_fed_redacted_dead_letter_is_replayed_and_skipped_from_the_outbox_without_a_sealing_key()
    {
        var secret = "Iva Outbox-Rocha " + Guid.NewGuid().ToString("N")[..8];
        var nationalId = "NID-" + Guid.NewGuid().ToString("N")[..10];
        var loggers = new CapturingLoggers();
        var (store, projection) = await OutboxFedAsync("ob_restore", loggers);
        var dead = Event("BadParty", "t1", 1, 1, secret + " 1", nationalId);
        var parked = Event("PartySet", "t1", 1, 2, secret + " 2", nationalId);
        var deadAlone = Event("BadParty", "t1", 2, 1, secret + " 3", nationalId);
        var applied = await AppendAndApplyAsync(store, "ob_restore", dead, parked, deadAlone);
        Assert.Equal((2, 1), (applied.DeadLettered, applied.Parked));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM {Library}.dead_letter WHERE payload::text LIKE '%{secret}%' OR payload::text LIKE '%$sealed%'"));

        projection.Broken = false;
        var replayed = await store.DeadLetters.ReplayAsync("ob_restore", "t1/2");
        projection.Broken = true;
        var skipped = await store.DeadLetters.SkipAsync("ob_restore", dead.EventId);

        Assert.Equal((1, 1), (replayed.Applied, skipped.Applied));
        Assert.Empty(skipped.Released);
        Assert.Equal(
            $"1:2:{secret} 2,2:1:{secret} 3",
            await db.ScalarAsync<string>("SELECT string_agg(case_id || ':' || version || ':' || party_display_name, ',' ORDER BY case_id) FROM ob_restore"));
        Assert.Equal(
            $"{dead.EventId}:skipped,{parked.EventId}:replayed,{deadAlone.EventId}:replayed",
            await ResolutionsAsync("ob_restore", dead, parked, deadAlone));
        Assert.Empty(await store.DeadLetters.ListAsync("ob_restore"));

        // The outbox holds the application's own events (the source); every table the library derives from them, and every log line, is clean.
        var tables = await LibraryRows.ReadAsync(db);
        Assert.Contains(tables, t => t.Table == "outbox" && t.Text.Contains(secret, StringComparison.Ordinal));
        foreach (var value in new[] { secret, nationalId })
        {
            Assert.DoesNotContain(tables, t => t.Table != "outbox" && t.Text.Contains(value, StringComparison.Ordinal));
            Assert.DoesNotContain(loggers.Entries, e => e.Text.Contains(value, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(loggers.Entries, e => e.Id.Id is 2041 or 2042);
    }

    [Fact]
    public async Task Skipping_a_broker_fed_dead_event_releases_the_parked_events_that_cannot_be_restored_for_re_delivery()
    {
        var secret = "Joa Broker-Nunes " + Guid.NewGuid().ToString("N")[..8];
        var loggers = new CapturingLoggers();
        var projection = new PartyProjection(ContractFor("br_release"));
        var store = await CreateStoreAsync(db, [projection], loggers: loggers);
        var applier = store.GetApplier("br_release");
        var dead = Event("BadParty", "t1", 1, 1, secret + " 1");
        var parked = new[] { Event("PartySet", "t1", 1, 2, secret + " 2"), Event("PartySet", "t1", 1, 3, secret + " 3") };
        var applied = await applier.ApplyAsync([dead, .. parked]);
        Assert.Equal((1, 2), (applied.DeadLettered, applied.Parked));

        var refused = await Assert.ThrowsAsync<RedactedPayloadException>(() => store.DeadLetters.ReplayAsync("br_release", "t1/1"));
        Assert.Equal(dead.EventId, refused.EventId);
        Assert.StartsWith($"Dead letter of event {dead.EventId} of projection 'br_release' cannot be replayed: field(s) nationalId, partyDisplayName hold personal data that was stored as digests", refused.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await store.DeadLetters.ListAsync("br_release")).Count);

        var skipped = await store.DeadLetters.SkipAsync("br_release", dead.EventId);

        Assert.Equal(0, skipped.Applied);
        Assert.Equal(parked.Select(e => e.EventId), skipped.Released);
        Assert.Equal(
            $"{dead.EventId}:skipped,{parked[0].EventId}:released,{parked[1].EventId}:released",
            await ResolutionsAsync("br_release", dead, parked[0], parked[1]));
        Assert.Equal(
            dead.EventId.ToString(),
            await db.ScalarAsync<string>($"SELECT string_agg(event_id::text, ',') FROM {Library}.inbox WHERE projection_name = 'br_release'"));
        var warning = Assert.Single(loggers.Entries, e => e.Id.Id == 2042);
        Assert.StartsWith(
            $"Projection br_release: skipping the dead event of key t1/1 released 2 parked event(s) whose payload could not be restored (stored as digests, not in the outbox); re-deliver them from their source: {parked[0].EventId}, {parked[1].EventId}",
            warning.Text,
            StringComparison.Ordinal);
        await Assert.ThrowsAsync<DeadLetterNotFoundException>(() => store.DeadLetters.ReplayAsync("br_release", "t1/1"));

        // The broker re-delivers the released events: they apply (no inbox row, no open dead letter holds the key).
        var redelivered = await applier.ApplyAsync(parked);

        Assert.Equal((2, 0), (redelivered.Applied, redelivered.Parked));
        Assert.Equal($"3:{secret} 3", await db.ScalarAsync<string>("SELECT version || ':' || party_display_name FROM br_release WHERE case_id = 1"));
        Assert.DoesNotContain(await LibraryRows.ReadAsync(db), t => t.Text.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(loggers.Entries, e => e.Text.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_the_outbox_no_longer_holds_an_event_replay_is_refused_and_skip_releases_it()
    {
        var secret = "Kai Pruned-Dias " + Guid.NewGuid().ToString("N")[..8];
        var (store, projection) = await OutboxFedAsync("ob_gone", new CapturingLoggers());
        var dead = Event("BadParty", "t1", 1, 1, secret + " 1");
        var kept = Event("PartySet", "t1", 1, 2, secret + " 2");
        var gone = Event("PartySet", "t1", 1, 3, secret + " 3");
        await AppendAndApplyAsync(store, "ob_gone", dead, kept, gone);
        await db.ExecuteAsync($"DELETE FROM {Library}.outbox WHERE event_id IN ('{dead.EventId}', '{gone.EventId}')");

        projection.Broken = false;
        var refused = await Assert.ThrowsAsync<RedactedPayloadException>(() => store.DeadLetters.ReplayAsync("ob_gone", "t1/1"));
        var skipped = await store.DeadLetters.SkipAsync("ob_gone", dead.EventId);

        Assert.Equal(dead.EventId, refused.EventId);
        Assert.Equal((1, gone.EventId), (skipped.Applied, Assert.Single(skipped.Released)));
        Assert.Equal(
            $"{dead.EventId}:skipped,{kept.EventId}:replayed,{gone.EventId}:released",
            await ResolutionsAsync("ob_gone", dead, kept, gone));
        Assert.Equal($"2:{secret} 2", await db.ScalarAsync<string>("SELECT version || ':' || party_display_name FROM ob_gone WHERE case_id = 1"));
    }

    [Fact]
    public async Task A_skip_that_fails_while_applying_releases_and_resolves_nothing()
    {
        var (store, _) = await OutboxFedAsync("ob_atomic", new CapturingLoggers());
        var dead = Event("BadParty", "t1", 1, 1, "Ola Atomic-Reis 1");
        var restorable = Event("PartySet", "t1", 1, 2, "Ola Atomic-Reis 2");
        var gone = Event("PartySet", "t1", 1, 3, "Ola Atomic-Reis 3");
        await AppendAndApplyAsync(store, "ob_atomic", dead, restorable, gone);
        await db.ExecuteAsync($"""
            DELETE FROM {Library}.outbox WHERE event_id = '{gone.EventId}';
            ALTER TABLE ob_atomic ADD CONSTRAINT no_second_party CHECK (party_display_name NOT LIKE '% 2');
            """);

        var failed = await Assert.ThrowsAsync<global::Npgsql.PostgresException>(() => store.DeadLetters.SkipAsync("ob_atomic", dead.EventId));

        Assert.Equal("23514", failed.SqlState);
        Assert.Equal($"{dead.EventId}:open,{restorable.EventId}:open,{gone.EventId}:open", await ResolutionsAsync("ob_atomic", dead, restorable, gone));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM {Library}.inbox WHERE projection_name = 'ob_atomic'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM ob_atomic"));

        await db.ExecuteAsync("ALTER TABLE ob_atomic DROP CONSTRAINT no_second_party");
        var skipped = await store.DeadLetters.SkipAsync("ob_atomic", dead.EventId);

        Assert.Equal((1, gone.EventId), (skipped.Applied, Assert.Single(skipped.Released)));
        Assert.Equal($"{dead.EventId}:skipped,{restorable.EventId}:replayed,{gone.EventId}:released", await ResolutionsAsync("ob_atomic", dead, restorable, gone));
    }

    [Fact]
    public async Task Outbox_pruning_keeps_the_events_of_open_dead_letters_and_deletes_the_rest()
    {
        var (store, projection) = await OutboxFedAsync("ob_prune", new CapturingLoggers());
        var dead = Event("BadParty", "t1", 1, 1, "Lia Prune-Gomes");
        var parked = Event("PartySet", "t1", 1, 2, "Lia Prune-Gomes II");
        var fine = Enumerable.Range(2, 4).Select(i => Event("PartySet", "t1", i, 1, "Mia Fine " + i)).ToArray();
        await AppendAndApplyAsync(store, "ob_prune", [dead, parked, .. fine]);
        var pruner = new OutboxPruner(store);

        var first = await pruner.PruneAsync("ob_prune", TimeSpan.Zero, batchSize: 3);

        Assert.Equal(4, first.Deleted);
        Assert.Equal($"{dead.EventId},{parked.EventId}", await OutboxEventsAsync("ob_prune"));

        projection.Broken = false;
        Assert.Equal(2, (await store.DeadLetters.ReplayAsync("ob_prune", "t1/1")).Applied);
        var second = await pruner.PruneAsync("ob_prune", TimeSpan.Zero);

        Assert.Equal(2, second.Deleted);
        Assert.Null(await OutboxEventsAsync("ob_prune"));
    }

    private async Task<(NpgsqlReadModelStore Store, PartyProjection Projection)> OutboxFedAsync(string name, CapturingLoggers loggers)
    {
        var projection = new PartyProjection(ContractFor(name) with { Source = new ProjectionSource(SourceKind.Outbox, name) });
        return (await CreateStoreAsync(db, [projection], loggers: loggers), projection);
    }

    /// <summary>Appends the events to the outbox in one transaction and applies them as the outbox reader delivers them (position = that transaction).</summary>
    private async Task<ApplyResult> AppendAndApplyAsync(NpgsqlReadModelStore store, string name, params EventEnvelope[] events)
    {
        var position = await OutboxFixtures.AppendAsync(store, db.DataSource, name, events);
        return await store.GetApplier(name).ApplyAsync(events.Select(e => e with { Position = position }).ToList());
    }

    private Task<string?> ResolutionsAsync(string projection, params EventEnvelope[] events) =>
        db.ScalarAsync<string>($"""
            SELECT string_agg(d.event_id || ':' || coalesce(d.resolution, 'open'), ',' ORDER BY w.n)
            FROM unnest(ARRAY['{string.Join("','", events.Select(e => e.EventId))}']::uuid[]) WITH ORDINALITY AS w(event_id, n)
            JOIN {Library}.dead_letter d ON d.event_id = w.event_id AND d.projection_name = '{projection}'
            """);

    private Task<string?> OutboxEventsAsync(string stream) =>
        db.ScalarAsync<string>($"SELECT string_agg(event_id::text, ',' ORDER BY version, ordering_key) FROM {Library}.outbox WHERE stream = '{stream}'");
}
