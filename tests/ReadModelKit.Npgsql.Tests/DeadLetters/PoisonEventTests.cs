using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.DeadLetters;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.DeadLetters;

public sealed class PoisonEventTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private async Task<(CaseListProjection Projection, NpgsqlReadModelStore Store, ProjectionApplier Applier)> CreateAsync(string name, FailurePolicy policy = FailurePolicy.DeadLetterAndContinue)
    {
        var projection = new CaseListProjection(ContractFor(name, IdempotencyMode.Inbox, policy));
        var store = await StoreFactory.CreateAsync(db, projection, name + "_rm");
        return (projection, store, store.GetApplier(name));
    }

    [Fact]
    public async Task A_failing_event_is_retried_dead_lettered_and_parks_its_key_until_replayed()
    {
        var (projection, store, applier) = await CreateAsync("poison_replay");
        projection.FailuresLeft = int.MaxValue;
        var flaky = Envelope("Flaky", "t1", 1, 2, 0, null, new { tenant = "t1", @case = 1, status = "assigned" });

        var first = await applier.ApplyAsync([Upserted("t1", 1, 1, "open"), flaky, Upserted("t1", 1, 3, "review"), Upserted("t2", 5, 1, "open")]);
        var later = await applier.ApplyAsync([Upserted("t1", 1, 4, "closed"), Upserted("t2", 5, 2, "closed")]);

        Assert.Equal((1, 1), (first.DeadLettered, first.Parked));
        Assert.Equal((1, 1), (later.Applied, later.Parked));
        Assert.Equal(
            [new CaseRow("t1", 1, "open", null, 1, false), new CaseRow("t2", 5, "closed", null, 2, false)], // v1 precedes the hole and is applied
            await ReadModelRows.ReadAsync(db.DataSource, "poison_replay_rm"));
        var open = await store.DeadLetters.ListAsync("poison_replay");
        Assert.Equal(["dead:2:3", "parked:3:0", "parked:4:0"], open.Select(d => $"{d.Status}:{d.Envelope.Version}:{d.Attempts}").OrderBy(s => s, StringComparer.Ordinal));
        Assert.Equal("flaky dependency", open.Single(d => d.Status == "dead").Error);

        projection.FailuresLeft = 0;
        var replayed = await store.DeadLetters.ReplayAsync("poison_replay", "t1/1");

        Assert.Equal(3, replayed.Applied);
        Assert.Empty(await store.DeadLetters.ListAsync("poison_replay"));
        Assert.Equal(new CaseRow("t1", 1, "closed", null, 4, false), (await ReadModelRows.ReadAsync(db.DataSource, "poison_replay_rm"))[0]);
        var next = await applier.ApplyAsync([Upserted("t1", 1, 5, "reopened")]);
        Assert.Equal((1, 0), (next.Applied, next.Parked));
    }

    [Fact]
    public async Task An_event_without_a_payload_is_dead_lettered_with_a_null_payload_and_the_rest_of_the_batch_applies()
    {
        var (_, store, applier) = await CreateAsync("poison_nopayload");
        var empty = Upserted("t1", 2, 1, "open") with { Payload = default };

        var result = await applier.ApplyAsync([Upserted("t1", 1, 1, "open"), empty, Upserted("t2", 3, 1, "closed")]);

        Assert.Equal((2, 1), (result.Applied, result.DeadLettered));
        Assert.Equal(
            [new CaseRow("t1", 1, "open", null, 1, false), new CaseRow("t2", 3, "closed", null, 1, false)],
            await ReadModelRows.ReadAsync(db.DataSource, "poison_nopayload_rm"));
        var dead = Assert.Single(await store.DeadLetters.ListAsync("poison_nopayload"));
        Assert.Equal((empty.EventId, "dead", System.Text.Json.JsonValueKind.Null), (dead.Envelope.EventId, dead.Status, dead.Envelope.Payload.ValueKind));
    }

    [Fact]
    public async Task An_unknown_type_is_dead_lettered_without_retries_and_skip_releases_the_parked_events()
    {
        var (_, store, applier) = await CreateAsync("poison_skip");
        var mystery = Envelope("Mystery", "t1", 1, 2, 0, null, new { tenant = "t1", @case = 1 });

        var result = await applier.ApplyAsync([Upserted("t1", 1, 1, "open"), mystery, Upserted("t1", 1, 3, "review")]);
        var dead = Assert.Single(await store.DeadLetters.ListAsync("poison_skip"), d => d.Status == "dead");
        var skipped = await store.DeadLetters.SkipAsync("poison_skip", mystery.EventId);
        var redelivered = await applier.ApplyAsync([mystery]);

        Assert.Equal((1, 1), (result.DeadLettered, result.Parked));
        Assert.Equal(1, dead.Attempts);
        Assert.Equal($"Projection 'poison_skip' does not handle event type 'Mystery' (event {mystery.EventId}). Add a case for it to the projection, or skip the dead-lettered event if it is not meant for this projection.", dead.Error);
        Assert.Equal(1, skipped.Applied);
        Assert.Equal((0, 1), (redelivered.Applied, redelivered.Duplicates));
        Assert.Empty(await store.DeadLetters.ListAsync("poison_skip"));
        Assert.Equal([new CaseRow("t1", 1, "review", null, 3, false)], await ReadModelRows.ReadAsync(db.DataSource, "poison_skip_rm"));
    }

    [Fact]
    public async Task Malformed_payloads_and_invalid_row_changes_are_dead_lettered_with_what_to_fix()
    {
        var (_, store, applier) = await CreateAsync("poison_shapes");
        var malformed = Envelope("CaseUpserted", "t1", 1, 1, 0, null, new { status = "open" });
        var incomplete = Envelope("Incomplete", "t1", 2, 1, 0, null, new { tenant = "t1", @case = 2 });
        var wrongType = Envelope("WrongType", "t1", 3, 1, 0, null, new { tenant = "t1", @case = 3 });

        await applier.ApplyAsync([malformed, incomplete, wrongType]);
        var errors = (await store.DeadLetters.ListAsync("poison_shapes")).ToDictionary(d => d.Envelope.EventId, d => d.Error);

        Assert.Equal($"Projection 'poison_shapes' cannot read the payload of CaseUpserted event {malformed.EventId}: field 'tenant' or 'case' is missing. Fix the producer or the projection, then replay the dead-lettered event.", errors[malformed.EventId]);
        Assert.Equal($"Projection 'poison_shapes' emitted an invalid row change for event {incomplete.EventId}: the upsert of (t1, 2) has no value for column 'title'; every mapped value column must be given (use null for NULL).", errors[incomplete.EventId]);
        Assert.Equal($"Projection 'poison_shapes' emitted an invalid row change for event {wrongType.EventId}: the value 42 (Int32) does not fit column 'title' of type text.", errors[wrongType.EventId]);
        Assert.Empty(await ReadModelRows.ReadAsync(db.DataSource, "poison_shapes_rm"));
    }

    [Fact]
    public async Task Halt_policy_writes_nothing_and_says_what_to_do()
    {
        var (_, _, applier) = await CreateAsync("poison_halt", FailurePolicy.Halt);
        var poison = Envelope("Poison", "t1", 1, 2, 0, null, new { });

        var exception = await Assert.ThrowsAsync<ProjectionHaltedException>(async () => await applier.ApplyAsync([Upserted("t1", 1, 1, "open"), poison]));

        Assert.Equal($"Projection 'poison_halt' halted: event {poison.EventId} failed 3 time(s) and the failure policy is Halt. Nothing of the batch was written. Fix the projection or the event, then restart; or switch the policy to DeadLetterAndContinue. Last error: Poison handler failed", exception.Message);
        Assert.Empty(await ReadModelRows.ReadAsync(db.DataSource, "poison_halt_rm"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".inbox WHERE projection_name = 'poison_halt'"));
    }

    [Fact]
    public async Task A_flaky_event_that_recovers_within_its_attempts_is_applied()
    {
        var (projection, _, applier) = await CreateAsync("poison_flaky");
        projection.FailuresLeft = 2;

        var result = await applier.ApplyAsync([Envelope("Flaky", "t1", 1, 1, 0, null, new { tenant = "t1", @case = 1, status = "open" })]);

        Assert.Equal((1, 0), (result.Applied, result.DeadLettered));
    }

    [Fact]
    public async Task Replaying_or_skipping_what_is_not_dead_lettered_says_how_to_find_open_ones()
    {
        var (_, store, _) = await CreateAsync("poison_none");
        var id = Guid.NewGuid();

        var replay = await Assert.ThrowsAsync<DeadLetterNotFoundException>(() => store.DeadLetters.ReplayAsync("poison_none", "t1/1"));
        var skip = await Assert.ThrowsAsync<DeadLetterNotFoundException>(() => store.DeadLetters.SkipAsync("poison_none", id));

        Assert.Equal("Projection 'poison_none' has no open dead letter for ordering key 't1/1'. List the open ones with DeadLetterStore.ListAsync; resolved ones cannot be replayed or skipped again.", replay.Message);
        Assert.Equal($"Projection 'poison_none' has no open dead letter for event {id}. List the open ones with DeadLetterStore.ListAsync; resolved ones cannot be replayed or skipped again.", skip.Message);
    }
}
