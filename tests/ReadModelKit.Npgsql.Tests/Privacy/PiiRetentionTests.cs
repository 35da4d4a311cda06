using System.Security.Cryptography;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Privacy;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Privacy.PartyProjection;

namespace ReadModelKit.Npgsql.Tests.Privacy;

public sealed class PiiRetentionTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private string DeadLetters => $"\"{db.Schema}_rmk\".dead_letter";

    private string Incidents => $"\"{db.Schema}_rmk\".drift_incident";

    [Fact]
    public async Task Purging_open_dead_letters_turns_sealed_and_clear_hidden_fields_into_digests_and_replay_is_then_refused()
    {
        var secret = "Fia Purge-Costa " + Guid.NewGuid().ToString("N")[..8];
        var store = await CreateAsync("purge", o => o.PiiSealingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var events = Enumerable.Range(1, 5).Select(i => Event("BadParty", "t1", i, 1, secret + i)).ToList();
        await store.GetApplier("purge").ApplyAsync(events);
        // A row stored in the clear (written before the field was classified) is purged too.
        await db.ExecuteAsync($"UPDATE {DeadLetters} SET payload = jsonb_set(payload, '{{partyDisplayName}}', to_jsonb('{secret}5'::text)) WHERE projection_name = 'purge' AND ordering_key = 't1/5'");

        var purged = await store.Retention.PurgeMaskedPayloadsAsync("purge", batchSize: 2);
        var again = await store.Retention.PurgeMaskedPayloadsAsync("purge", batchSize: 2);
        var listing = await store.DeadLetters.ListAsync("purge");
        var refused = await Assert.ThrowsAsync<RedactedPayloadException>(() => store.DeadLetters.ReplayAsync("purge", "t1/1"));

        Assert.Equal((5L, 0L), (purged, again));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM {DeadLetters} d WHERE d::text LIKE '%$sealed%' OR d::text LIKE '%{secret}%'"));
        Assert.Equal(
            Enumerable.Range(1, 5).Select(i => store.PiiMasker.Digest(secret + i)),
            listing.OrderBy(d => d.Envelope.OrderingKey, StringComparer.Ordinal).Select(d => d.Envelope.Payload.GetProperty("partyDisplayName").GetString()));
        Assert.Equal(["nationalId", "partyDisplayName"], refused.Fields);
    }

    [Fact]
    public async Task Resolved_dead_letters_and_repaired_incidents_older_than_the_horizon_go_in_bounded_batches_and_open_ones_stay()
    {
        var store = await CreateAsync("prune", o => o.PiiSealingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var applier = store.GetApplier("prune");
        await applier.ApplyAsync(Enumerable.Range(1, 7).Select(i => Event("BadParty", "t1", i, 1, "Gil Prune " + i)).ToList());
        await db.ExecuteAsync($"""
            UPDATE {DeadLetters} SET resolved_at = now() - interval '40 days', resolution = 'skipped' WHERE projection_name = 'prune' AND ordering_key IN ('t1/1', 't1/2', 't1/3', 't1/4');
            UPDATE {DeadLetters} SET resolved_at = now() - interval '2 days', resolution = 'skipped' WHERE projection_name = 'prune' AND ordering_key = 't1/5';
            INSERT INTO prune_src SELECT 't1', g, 'open', 'x' FROM generate_series(1, 6) g;
            """);
        var report = await store.Drift.CheckAsync("prune");
        await store.Drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1 });
        await db.ExecuteAsync($"""
            UPDATE {Incidents} SET repaired_at = now() - interval '40 days' WHERE projection_name = 'prune' AND row_key->>1 IN ('1', '2', '3');
            UPDATE prune SET status = 'drifted' WHERE case_id = 6;
            """);
        await store.Drift.CheckAsync("prune");

        var deadLetters = await store.Retention.PruneDeadLettersAsync("prune", TimeSpan.FromDays(30), batchSize: 3);
        var incidents = await store.Retention.PruneDriftIncidentsAsync("prune", TimeSpan.FromDays(30), batchSize: 2, maxBatches: 1);
        var incidentsRest = await store.Retention.PruneDriftIncidentsAsync("prune", TimeSpan.FromDays(30), batchSize: 2);

        Assert.Equal(4, deadLetters);
        Assert.Equal("t1/5,t1/6,t1/7", await db.ScalarAsync<string>($"SELECT string_agg(ordering_key, ',' ORDER BY ordering_key) FROM {DeadLetters} WHERE projection_name = 'prune'"));
        Assert.Equal((2L, 1L), (incidents, incidentsRest));
        Assert.Equal(
            "4:repaired,5:repaired,6:repaired,6:open",
            await db.ScalarAsync<string>($"SELECT string_agg((row_key->>1) || ':' || CASE WHEN repaired_at IS NULL THEN 'open' ELSE 'repaired' END, ',' ORDER BY row_key->>1) FROM {Incidents} WHERE projection_name = 'prune'"));
    }

    private Task<NpgsqlReadModelStore> CreateAsync(string name, Action<NpgsqlReadModelOptions> configure) =>
        CreateStoreAsync(db, [new PartyProjection(ContractFor(name))], configure);
}
