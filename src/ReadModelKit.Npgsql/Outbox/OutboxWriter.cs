using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Outbox;

/// <summary>
/// Appends events to the transactional outbox inside the application's own command transaction, so the events are recorded
/// if and only if the state change commits. Runners read them back in transaction order without skipping any
/// (see docs/outbox.md). Thread-safe.
/// </summary>
public sealed class OutboxWriter
{
    private readonly SqlIdentifier _schema;
    private readonly OutboxOptions _options;
    private readonly string _sql;

    internal OutboxWriter(SqlIdentifier schema, OutboxOptions options)
    {
        _schema = schema;
        _options = options;
        _sql = $"""
            WITH appended AS (
                INSERT INTO {schema.Quoted}.outbox (stream, event_id, ordering_key, version, event_type, occurred_at, payload)
                SELECT $1, e.event_id, e.ordering_key, e.version, e.event_type, e.occurred_at, e.payload
                FROM unnest($2::uuid[], $3::text[], $4::int8[], $5::text[], $6::timestamptz[], $7::jsonb[]) WITH ORDINALITY
                    AS e(event_id, ordering_key, version, event_type, occurred_at, payload, n)
                ORDER BY e.n
                RETURNING 1
            )
            SELECT pg_current_xact_id()::text::int8, (SELECT count(*) FROM appended),
                   CASE WHEN $8 THEN pg_notify('{OutboxChannel.Name}', $9) END IS NULL
            """;
    }

    /// <summary>
    /// Appends <paramref name="events"/> to the outbox stream of <paramref name="contract"/>'s projection, after checking that each
    /// event's ordering key is the one its payload's ordering-scope fields give (build them with <see cref="ContractEvents.Create"/>).
    /// Otherwise as <see cref="AppendAsync(NpgsqlConnection, NpgsqlTransaction, string, IReadOnlyList{EventEnvelope}, CancellationToken)"/>.
    /// </summary>
    /// <param name="connection">The application's open connection.</param>
    /// <param name="transaction">The application's command transaction on <paramref name="connection"/>.</param>
    /// <param name="contract">The events of the contract whose source stream receives them.</param>
    /// <param name="events">The events, in the order they happened.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>The position token of the writing transaction.</returns>
    /// <exception cref="Exceptions.InvalidEventException">An event is incomplete or its key does not follow the ordering scope (nothing is appended).</exception>
    /// <exception cref="ArgumentException">The contract's source is not an outbox stream.</exception>
    public Task<StreamPosition> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ContractEvents contract, IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(events);
        var source = contract.Contract.Source;
        if (source.Kind != Contracts.SourceKind.Outbox)
        {
            throw new ArgumentException($"Projection '{contract.Contract.Name}' reads {source.Kind} '{source.Name}', not the outbox: append its events to the outbox stream that feeds it, or hand them to its applier.", nameof(contract));
        }

        foreach (var e in events)
        {
            contract.Check(e);
        }

        return AppendAsync(connection, transaction, source.Name, events, cancellationToken);
    }

    /// <summary>
    /// Appends <paramref name="events"/> to <paramref name="stream"/> in <paramref name="transaction"/> and returns the position
    /// token of that transaction: pass it to <c>store.Freshness.WaitForPositionAsync</c> to read your own writes.
    /// The events' <see cref="EventEnvelope.Position"/> is ignored (the outbox assigns positions). Runners are notified at commit.
    /// </summary>
    /// <param name="connection">The application's open connection.</param>
    /// <param name="transaction">The application's command transaction on <paramref name="connection"/>.</param>
    /// <param name="stream">The stream (the <c>ProjectionSource.Name</c> of the projections that read it).</param>
    /// <param name="events">The events, in the order they happened.</param>
    /// <param name="cancellationToken">Cancels the append.</param>
    /// <returns>The position token (the writing transaction's id); <see cref="StreamPosition.Start"/> when <paramref name="events"/> is empty.</returns>
    /// <exception cref="ArgumentException">The stream is blank or the transaction belongs to another connection.</exception>
    /// <exception cref="DuplicateOutboxEventException">An event id is already in the outbox.</exception>
    /// <exception cref="Exceptions.InvalidEventException">An event has no type, no ordering key or a version below 1 (nothing is appended).</exception>
    public async Task<StreamPosition> AppendAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string stream,
        IReadOnlyList<EventEnvelope> events,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentNullException.ThrowIfNull(events);
        if (!ReferenceEquals(transaction.Connection, connection))
        {
            throw new ArgumentException("The transaction belongs to another connection (or has completed): append inside the command's own open transaction, on its connection.", nameof(transaction));
        }

        if (events.Count == 0)
        {
            return StreamPosition.Start;
        }

        foreach (var e in events)
        {
            ContractEvents.Validate(e);
        }

        using var command = new NpgsqlCommand(_sql, connection, transaction);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = stream });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = events.Select(e => e.EventId).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = events.Select(e => e.OrderingKey).ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = events.Select(e => e.Version).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = events.Select(e => e.Type).ToArray() });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = events.Select(e => e.OccurredAt.UtcDateTime).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = events.Select(e => e.Payload.GetRawText()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<bool> { TypedValue = _options.NotifyOnAppend });
        p.Add(new NpgsqlParameter<string> { TypedValue = OutboxChannel.Payload(_schema.Name, stream) });
        try
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new StreamPosition(reader.GetInt64(0));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.TableName == "outbox")
        {
            throw new DuplicateOutboxEventException(stream, ex.Detail, ex);
        }
    }
}
