using System.Security.Cryptography;
using System.Text.Json;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Privacy;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Privacy.PartyProjection;

namespace ReadModelKit.Npgsql.Tests.Privacy;

/// <summary>
/// Runs a drift check, a repair and dead-lettering of events carrying masked and prohibited values, then searches every library
/// table (each row cast to text), the captured log output, the listings, the report and the exceptions for those values.
/// </summary>
public sealed class PiiLeakTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private string LibrarySchema => db.Schema + "_rmk";

    [Fact]
    public async Task Masked_and_prohibited_values_appear_in_no_library_table_log_listing_report_or_exception()
    {
        var secret = "Ana Secret-Lima " + Guid.NewGuid().ToString("N")[..8];
        var other = "Bea Other-Sousa " + Guid.NewGuid().ToString("N")[..8];
        var nationalId = "NID-" + Guid.NewGuid().ToString("N")[..10];
        var loggers = new CapturingLoggers();
        var (store, projection) = await CreateAsync("leak", loggers, configure: null, new PartyProjection(ContractFor("leak_halt", FailurePolicy.Halt)));
        var applier = store.GetApplier("leak");

        // Rows 1-3 applied; the source agrees except that row 1 names another party, row 2 is missing from the read model
        // and row 9 exists only in the read model: one changed, one missing, one extra, each carrying a masked value.
        await applier.ApplyAsync([Event("PartySet", "t1", 1, 1, other), Event("PartySet", "t1", 2, 1, other), Event("PartySet", "t1", 9, 1, secret)]);
        await db.ExecuteAsync($"""
            INSERT INTO leak_src VALUES ('t1', 1, 'open', '{secret}'), ('t1', 2, 'open', '{other}');
            DELETE FROM leak WHERE case_id = 2;
            """);

        var report = await store.Drift.CheckAsync("leak");
        var incidents = await store.Drift.ListIncidentsAsync("leak");
        var repair = await store.Drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1 });
        var after = await store.Drift.CheckAsync("leak");

        Assert.Equal((1L, 1L, 1L, 3L), (report.Missing, report.Extra, report.Changed, report.IncidentsRecorded));
        var changed = Assert.Single(report.Samples, s => s.Kind == DriftKind.Changed);
        Assert.Equal($$"""{"status":"open","party_display_name":"{{Digest(store, secret)}}"}""", changed.Expected);
        Assert.Equal($$"""{"status":"open","party_display_name":"{{Digest(store, other)}}"}""", changed.Actual);
        Assert.Equal($$"""{"status": "open", "party_display_name": "{{Digest(store, secret)}}"}""", Assert.Single(incidents, i => i.Kind == DriftKind.Changed).Expected);
        Assert.Equal($$"""{"status": "open", "party_display_name": "{{Digest(store, secret)}}"}""", Assert.Single(incidents, i => i.Kind == DriftKind.Extra).Actual);
        Assert.Equal($$"""{"status": "open", "party_display_name": "{{Digest(store, other)}}"}""", Assert.Single(incidents, i => i.Kind == DriftKind.Missing).Expected);
        Assert.Equal((3L, 3L), (repair.KeysRepaired, repair.IncidentsClosed));
        Assert.True(after.Clean, after.ToString());
        Assert.Equal(secret, await db.ScalarAsync<string>("SELECT party_display_name FROM leak WHERE case_id = 1")); // repair works by key

        // A poison event quoting the values, an event parked behind it, and the same event under the Halt policy.
        var bad = Event("BadParty", "t2", 1, 1, secret, nationalId);
        var wrong = Event("WrongParty", "t3", 1, 1, secret);
        var dead = await applier.ApplyAsync([bad, Event("PartySet", "t2", 1, 2, other), wrong]);
        var halted = await Assert.ThrowsAsync<ProjectionHaltedException>(async () => await store.GetApplier("leak_halt").ApplyAsync([Event("BadParty", "t2", 1, 1, secret, nationalId)]));
        var listing = await store.DeadLetters.ListAsync("leak");
        var refused = await Assert.ThrowsAsync<RedactedPayloadException>(() => store.DeadLetters.ReplayAsync("leak", "t2/1"));

        Assert.Equal((2, 1), (dead.DeadLettered, dead.Parked));
        Assert.Equal(
            $"Projection 'leak' emitted an invalid row change for event {wrong.EventId}: the value {Digest(store, secret)} (StringBuilder) does not fit column 'party_display_name' of type text.",
            Assert.Single(listing, d => d.Envelope.EventId == wrong.EventId).Error);
        var deadLetter = Assert.Single(listing, d => d.Envelope.EventId == bad.EventId);
        Assert.Equal(Digest(store, secret), deadLetter.Envelope.Payload.GetProperty("partyDisplayName").GetString());
        Assert.Equal(Digest(store, secret), deadLetter.Envelope.Payload.GetProperty("history")[0].GetProperty("partyDisplayName").GetString());
        Assert.Equal(Digest(store, nationalId), deadLetter.Envelope.Payload.GetProperty("nationalId").GetString());
        Assert.Equal("open", deadLetter.Envelope.Payload.GetProperty("status").GetString());
        Assert.Equal($"cannot parse party '{Digest(store, secret)}' of national id {Digest(store, nationalId)}", deadLetter.Error);
        Assert.Equal(
            $"Dead letter of event {bad.EventId} of projection 'leak' cannot be replayed: field(s) nationalId, partyDisplayName hold personal data that was stored as digests (no PiiSealingKey was configured, or the payload was purged). Skip the event (DeadLetterStore.SkipAsync) and re-deliver it from its source; configure NpgsqlReadModelOptions.PiiSealingKey so later dead letters can be replayed.",
            refused.Message);
        Assert.Equal(3, (await store.DeadLetters.ListAsync("leak")).Count); // the refused replay changed nothing
        Assert.Contains(loggers.Entries, e => e.Id.Id == 2041 && e.Text.StartsWith("Projection leak hides payload field(s) nationalId, partyDisplayName but no PiiSealingKey is configured", StringComparison.Ordinal));
        Assert.Contains($"cannot parse party '{Digest(store, secret)}'", halted.Message, StringComparison.Ordinal);
        Assert.Contains(loggers.Entries, e => e.Id.Id == 2003 && e.Text.Contains(Digest(store, secret), StringComparison.Ordinal));

        var texts = new List<(string Where, string Text)>
        {
            ("report", report.ToString()),
            ("incidents", JsonSerializer.Serialize(await store.Drift.ListIncidentsAsync("leak", openOnly: false))),
            ("dead letters", string.Join("\n", listing.Select(d => $"{d} {d.Envelope.Payload.GetRawText()}"))),
            ("halted", halted.ToString()),
            ("refused", refused.ToString()),
        };
        texts.AddRange(loggers.Entries.Select(e => ($"log {e.Category} {e.Id}", e.Text)));
        texts.AddRange((await LibraryRows.ReadAsync(db)).Select(r => ($"table {r.Table}", r.Text)));
        foreach (var value in new[] { secret, other, nationalId })
        {
            Assert.DoesNotContain(texts, t => t.Text.Contains(value, StringComparison.Ordinal));
            Assert.DoesNotContain(texts, t => t.Text.Contains(value[..12], StringComparison.Ordinal));
        }

        Assert.Contains(texts, t => t.Where.StartsWith("table drift_incident", StringComparison.Ordinal) && t.Text.Contains(Digest(store, secret), StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Where.StartsWith("table dead_letter", StringComparison.Ordinal) && t.Text.Contains(Digest(store, secret), StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_a_sealing_key_dead_letters_hold_hidden_values_sealed_and_listings_show_digests()
    {
        var secret = "Carla Sealed-Reis " + Guid.NewGuid().ToString("N")[..8];
        var nationalId = "NID-" + Guid.NewGuid().ToString("N")[..10];
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var (store, _) = await CreateAsync("sealed", new CapturingLoggers(), o => o.PiiSealingKey = key);
        var applier = store.GetApplier("sealed");

        await applier.ApplyAsync([Event("BadParty", "t1", 1, 1, secret, nationalId), Event("PartySet", "t1", 1, 2, secret + " II")]);
        var stored = await db.ScalarAsync<string>($"SELECT payload::text FROM \"{LibrarySchema}\".dead_letter WHERE projection_name = 'sealed' AND status = 'dead'");
        var listing = await store.DeadLetters.ListAsync("sealed");
        var rows = await LibraryRows.ReadAsync(db);

        using (var payload = JsonDocument.Parse(stored!))
        {
            Assert.True(payload.RootElement.GetProperty("partyDisplayName").TryGetProperty("$sealed", out _), stored);
            Assert.True(payload.RootElement.GetProperty("nationalId").TryGetProperty("$sealed", out _), stored);
            Assert.True(payload.RootElement.GetProperty("history")[0].GetProperty("partyDisplayName").TryGetProperty("$sealed", out _), stored);
        }

        Assert.Equal(Digest(store, secret), Assert.Single(listing, d => d.Status == "dead").Envelope.Payload.GetProperty("partyDisplayName").GetString());
        Assert.DoesNotContain(rows, r => r.Text.Contains(secret, StringComparison.Ordinal) || r.Text.Contains(nationalId, StringComparison.Ordinal));

        // Skipping the dead event replays the one parked behind it, with its sealed values opened.
        var skipped = await store.DeadLetters.SkipAsync("sealed", listing.Single(d => d.Status == "dead").Envelope.EventId);

        Assert.Equal(1, skipped.Applied);
        Assert.Equal(secret + " II", await db.ScalarAsync<string>("SELECT party_display_name FROM sealed WHERE case_id = 1"));
    }

    [Fact]
    public async Task A_sealed_dead_letter_is_replayed_with_its_masked_values_restored()
    {
        var secret = "Dora Replay-Melo " + Guid.NewGuid().ToString("N")[..8];
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var contract = ContractFor("replay") with { PiiFields = [new PiiField("partyDisplayName", PiiClassification.Masked, "party_display_name")] };
        var (store, projection) = await CreateAsync("replay", new CapturingLoggers(), o => o.PiiSealingKey = key, contractOverride: contract);

        await store.GetApplier("replay").ApplyAsync([Event("BadParty", "t1", 1, 1, secret)]);
        projection.Broken = false;
        var replayed = await store.DeadLetters.ReplayAsync("replay", "t1/1");

        Assert.Equal(1, replayed.Applied);
        Assert.Equal(secret, await db.ScalarAsync<string>("SELECT party_display_name FROM replay WHERE case_id = 1"));
    }

    [Fact]
    public async Task A_dead_letter_sealed_with_another_key_is_refused_with_that_reason()
    {
        var contract = ContractFor("rekey") with { PiiFields = [new PiiField("partyDisplayName", PiiClassification.Masked, "party_display_name")] };
        var (first, _) = await CreateAsync("rekey", new CapturingLoggers(), o => o.PiiSealingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), contractOverride: contract);
        var bad = Event("BadParty", "t1", 1, 1, "Eva Rekey-Paz");
        await first.GetApplier("rekey").ApplyAsync([bad]);
        var (second, _) = await CreateAsync("rekey", new CapturingLoggers(), o => o.PiiSealingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), contractOverride: contract, createTables: false);

        var refused = await Assert.ThrowsAsync<RedactedPayloadException>(() => second.DeadLetters.ReplayAsync("rekey", "t1/1"));

        Assert.Equal(
            $"Dead letter of event {bad.EventId} of projection 'rekey' cannot be replayed: field(s) partyDisplayName are sealed with a PiiSealingKey this store does not have. Configure the key it was sealed with, or skip the event (DeadLetterStore.SkipAsync) and re-deliver it from its source.",
            refused.Message);
    }

    [Fact]
    public async Task A_masked_key_column_and_bad_keys_are_refused_at_start()
    {
        var contract = ContractFor("keyed") with { PiiFields = [new PiiField("tenant", PiiClassification.Masked, "tenant_id")] };
        var error = await Assert.ThrowsAsync<Exceptions.ReadModelKitException>(() => CreateAsync("keyed", new CapturingLoggers(), null, contractOverride: contract));
        var options = new NpgsqlReadModelOptions { PiiDigestKey = "not base64!", PiiSealingKey = Convert.ToBase64String(new byte[16]) };

        Assert.Equal("ReadModelKit.Npgsql cannot start: projection 'keyed' declares key column 'tenant_id' masked: keys appear in incidents, dead letters and logs, so key the table by an id and keep the personal value in a value column.", error.Message);
        Assert.Equal(
            [
                "PiiDigestKey is not base64: give at least 16 bytes as base64, for example from Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).",
                "PiiSealingKey has 16 byte(s) but needs exactly 32 bytes: generate one with Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).",
            ],
            options.Validate());
        Assert.Equal(
            $"ReadModelKit.Npgsql options are invalid (2):{Environment.NewLine} - {options.Validate()[0]}{Environment.NewLine} - {options.Validate()[1]}",
            Assert.Throws<Exceptions.ReadModelKitException>(() => new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, [], TimeProvider.System)).Message);
    }

    private static string Digest(NpgsqlReadModelStore store, string value) => store.PiiMasker.Digest(value);

    private async Task<(NpgsqlReadModelStore Store, PartyProjection Projection)> CreateAsync(
        string name,
        CapturingLoggers loggers,
        Action<NpgsqlReadModelOptions>? configure,
        PartyProjection? second = null,
        ProjectionContract? contractOverride = null,
        bool createTables = true)
    {
        var projection = new PartyProjection(contractOverride ?? ContractFor(name));
        var store = await CreateStoreAsync(db, second is null ? [projection] : [projection, second], configure, loggers, createTables);
        return (store, projection);
    }
}
