using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Privacy.PartyProjection;

namespace ReadModelKit.Npgsql.Tests.Privacy;

/// <summary>A runner halted by an event carrying masked and prohibited values records and logs the halt without them.</summary>
public sealed class PiiRunnerTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_halted_partition_keeps_masked_values_out_of_the_checkpoint_the_status_and_the_runner_log()
    {
        var secret = "Hana Runner-Silva " + Guid.NewGuid().ToString("N")[..8];
        var nationalId = "NID-" + Guid.NewGuid().ToString("N")[..10];
        var loggers = new CapturingLoggers();
        var contract = ContractFor("halt_pii", FailurePolicy.Halt) with { Source = new ProjectionSource(SourceKind.Outbox, "halt_pii"), Idempotency = IdempotencyMode.Checkpoint };
        var store = await CreateStoreAsync(db, [new PartyProjection(contract)], loggers: loggers);
        var runner = new ProjectionRunner(store, "halt_pii", OutboxFixtures.FastRunner("pii-node"), loggers: loggers);
        string? lastError;
        await using (OutboxFixtures.Start(runner))
        {
            await OutboxFixtures.AppendAsync(store, db.DataSource, "halt_pii", Event("BadParty", "t1", 1, 1, secret, nationalId));
            await Eventually.TrueAsync(async () => await LastErrorAsync() is not null, TimeSpan.FromSeconds(60), "the partition records its halt");
            lastError = await LastErrorAsync();
        }

        var status = await store.Freshness.GetAsync("halt_pii");
        var texts = loggers.Entries.Select(e => e.Text).Append(lastError!).Append(runner.Status.LastError ?? "").Append(status.ToString()).ToList();
        var tables = await LibraryRows.ReadAsync(db);

        Assert.Contains($"cannot parse party '{store.PiiMasker.Digest(secret)}' of national id {store.PiiMasker.Digest(nationalId)}", lastError, StringComparison.Ordinal);
        Assert.Contains(loggers.Entries, e => e.Id.Id == 2106);
        Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.Ordinal) || t.Contains(nationalId, StringComparison.Ordinal));
        // The outbox holds the application's own events (the source); every table the library derives from them is clean.
        Assert.Contains(tables, t => t.Table == "outbox" && t.Text.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(tables, t => t.Table != "outbox" && (t.Text.Contains(secret, StringComparison.Ordinal) || t.Text.Contains(nationalId, StringComparison.Ordinal)));
    }

    private Task<string?> LastErrorAsync() =>
        db.ScalarAsync<string>($"SELECT last_error FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = 'halt_pii' AND state = 'Faulted'");
}
