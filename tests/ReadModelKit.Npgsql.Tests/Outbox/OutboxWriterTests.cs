using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Outbox;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Outbox;

public sealed class OutboxWriterTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private string Outbox => $"\"{db.Schema}_rmk\".outbox";

    private async Task<NpgsqlReadModelStore> StoreAsync(string name)
    {
        return await OutboxFixtures.NewProjectionAsync(db, name, stream: name + "-events");
    }

    [Fact]
    public async Task Append_records_events_in_order_under_the_transaction_id_it_returns()
    {
        var store = await StoreAsync("writer_basic");
        var events = new[] { Upserted("t1", 1, 1, "open"), Upserted("t1", 1, 2, "assigned"), Deleted("t1", 2, 1) };

        var token = await OutboxFixtures.AppendAsync(store, db.DataSource, "writer_basic-events", events);

        Assert.True(token.Value > 0);
        Assert.Equal(3L, await db.ScalarAsync<long>($"SELECT count(*) FROM {Outbox} WHERE tx_id = '{token.Value}'::xid8 AND stream = 'writer_basic-events'"));
        Assert.Equal(
            string.Join(",", events.Select(e => e.EventId)),
            await db.ScalarAsync<string>($"SELECT string_agg(event_id::text, ',' ORDER BY position) FROM {Outbox} WHERE stream = 'writer_basic-events'"));
    }

    [Fact]
    public async Task A_rolled_back_command_leaves_no_event()
    {
        var store = await StoreAsync("writer_rollback");
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.Outbox.AppendAsync(connection, transaction, "writer_rollback-events", [Upserted("t1", 1, 1, "open")]);
            await transaction.RollbackAsync();
        }

        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM {Outbox} WHERE stream = 'writer_rollback-events'"));
    }

    [Fact]
    public async Task Reusing_an_event_id_fails_with_a_message_saying_what_to_do()
    {
        var store = await StoreAsync("writer_dup");
        var opened = Upserted("t1", 1, 1, "open");
        await OutboxFixtures.AppendAsync(store, db.DataSource, "writer_dup-events", opened);

        var error = await Assert.ThrowsAsync<DuplicateOutboxEventException>(() => OutboxFixtures.AppendAsync(store, db.DataSource, "writer_dup-events", opened with { Version = 2 }));

        Assert.Equal("writer_dup-events", error.Stream);
        Assert.Contains("reuses an event id that is already in the outbox", error.Message, StringComparison.Ordinal);
        Assert.Contains("Give every event a new EventId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_are_rejected_with_clear_messages()
    {
        var store = await StoreAsync("writer_args");
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var other = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();

        var foreign = await Assert.ThrowsAsync<ArgumentException>(() => store.Outbox.AppendAsync(connection, transaction, "s", [Upserted("t1", 1, 1, "open")]));
        var blank = await Assert.ThrowsAsync<ArgumentException>(() => store.Outbox.AppendAsync(other, transaction, " ", [Upserted("t1", 1, 1, "open")]));
        var empty = await store.Outbox.AppendAsync(other, transaction, "s", []);

        Assert.Contains("The transaction belongs to another connection", foreign.Message, StringComparison.Ordinal);
        Assert.Equal("stream", blank.ParamName);
        Assert.Equal(StreamPosition.Start, empty);
    }

    [Fact]
    public async Task Runners_are_notified_at_commit_and_not_before()
    {
        var store = await StoreAsync("writer_notify");
        await using var listener = await db.DataSource.OpenConnectionAsync();
        var payloads = new List<string>();
        listener.Notification += (_, e) => payloads.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN readmodelkit_outbox", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        var ours = $"{db.Schema}_rmk/writer_notify-events";
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await store.Outbox.AppendAsync(connection, transaction, "writer_notify-events", [Upserted("t1", 1, 1, "open"), Upserted("t1", 2, 1, "open")]);
        await listener.WaitAsync(TimeSpan.FromMilliseconds(200));
        Assert.DoesNotContain(ours, payloads);

        await transaction.CommitAsync();

        // Other test classes notify on the same channel with their own payloads; wait for ours.
        await Eventually.TrueAsync(async () => await listener.WaitAsync(TimeSpan.FromMilliseconds(50)) && payloads.Contains(ours) || payloads.Contains(ours), TimeSpan.FromSeconds(10), "the commit's notification arrives");
        Assert.Single(payloads, p => p == ours);
    }

    [Fact]
    public async Task Events_without_a_key_or_a_version_are_refused_and_nothing_of_the_batch_is_appended()
    {
        var store = await StoreAsync("writer_refused");
        var keyless = Upserted("t1", 2, 1, "open") with { OrderingKey = "" };
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var error = await Assert.ThrowsAsync<ReadModelKit.Exceptions.InvalidEventException>(() =>
            store.Outbox.AppendAsync(connection, transaction, "writer_refused-events", [Upserted("t1", 1, 1, "open"), keyless]));
        var versionless = await Assert.ThrowsAsync<ReadModelKit.Exceptions.InvalidEventException>(() =>
            store.Outbox.AppendAsync(connection, transaction, "writer_refused-events", [Upserted("t1", 3, 0, "open")]));
        await transaction.CommitAsync();

        Assert.Equal(keyless.EventId, error.EventId);
        Assert.Contains("its ordering key is blank", error.Message, StringComparison.Ordinal);
        Assert.Contains("its version is 0", versionless.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM {Outbox} WHERE stream = 'writer_refused-events'"));
    }

    [Fact]
    public async Task Appending_through_the_contract_checks_keys_and_uses_its_stream()
    {
        var store = await StoreAsync("writer_contract");
        var contract = new ContractEvents(store.GetApplier("writer_contract").Contract);
        var good = contract.Create("CaseUpserted", new { tenant = "t1", @case = 4, tenant_id = "t1", case_id = 4, status = "open" }, 1, DateTimeOffset.UtcNow);
        var handBuilt = Upserted("t1", 5, 1, "open");
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var error = await Assert.ThrowsAsync<ReadModelKit.Exceptions.InvalidEventException>(() => store.Outbox.AppendAsync(connection, transaction, contract, [good, handBuilt]));
        await store.Outbox.AppendAsync(connection, transaction, contract, [good]);
        await transaction.CommitAsync();

        Assert.Equal(handBuilt.EventId, error.EventId);
        Assert.Equal("t1/4", good.OrderingKey);
        Assert.Equal(good.EventId.ToString(), await db.ScalarAsync<string>($"SELECT string_agg(event_id::text, ',') FROM {Outbox} WHERE stream = 'writer_contract-events'"));
    }
}
