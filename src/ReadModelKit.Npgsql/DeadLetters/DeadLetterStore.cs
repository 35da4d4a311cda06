using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Diagnostics;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Outbox;
using ReadModelKit.Npgsql.Privacy;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.DeadLetters;

/// <summary>
/// Lists, replays and skips dead-lettered events. A key stays parked until its dead event is replayed successfully or skipped.
/// A replay applies the key's events in the key's own partition, taking turns with that partition's batches, and moves no checkpoint.
/// </summary>
public sealed class DeadLetterStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;
    private readonly Func<string, ProjectionApplier> _applier;
    private readonly ILogger _logger;

    internal DeadLetterStore(NpgsqlDataSource dataSource, SqlIdentifier schema, Func<string, ProjectionApplier> applier, ILogger logger)
    {
        _dataSource = dataSource;
        _schema = schema;
        _applier = applier;
        _logger = logger;
    }

    /// <summary>The open (unresolved) dead letters of a projection, dead and parked, by key and version.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        using var command = _dataSource.CreateCommand($"""
            SELECT id, event_id, ordering_key, version, position, event_type, occurred_at, payload::text, status, error, attempts, created_at
            FROM {_schema.Quoted}.dead_letter
            WHERE projection_name = $1 AND resolved_at IS NULL
            ORDER BY ordering_key, version, id
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        var privacy = _applier(projectionName).Privacy;
        var list = new List<DeadLetter>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DeadLetter(
                reader.GetInt64(0),
                ReadEnvelope(reader, 1, (_, payload) => privacy.ForListing(payload)),
                reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.GetInt32(10),
                reader.GetFieldValue<DateTimeOffset>(11)));
        }

        return list;
    }

    /// <summary>
    /// Applies every open dead letter of <paramref name="orderingKey"/> again, in version order, in one transaction.
    /// An event that still fails is dead-lettered again and the rest stay parked behind it. For an outbox-fed projection, a payload
    /// whose personal data was stored as digests is read back from the outbox in the same transaction.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="orderingKey">The ordering key whose events to replay.</param>
    /// <param name="cancellationToken">Cancels the replay (it then rolls back).</param>
    /// <exception cref="DeadLetterNotFoundException">The key has no open dead letters.</exception>
    /// <exception cref="RedactedPayloadException">An event's payload can be restored neither from the dead letter nor from the outbox; nothing was replayed.</exception>
    public Task<ApplyResult> ReplayAsync(string projectionName, string orderingKey, CancellationToken cancellationToken = default) =>
        ResolveAsync(projectionName, orderingKey, skipEventId: null, cancellationToken);

    /// <summary>
    /// Gives up on one dead event (it is marked skipped and never applied; in inbox mode a redelivery is ignored),
    /// then replays the events parked behind it. A parked event whose payload can be restored from nowhere (its personal data stored
    /// as digests, and not in the outbox) is released instead: resolved without being applied and without an inbox row, so a
    /// re-delivery from the source applies it; the result's <see cref="ApplyResult.Released"/> and a warning (event id 2042) name it.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="eventId">The dead event to skip.</param>
    /// <param name="cancellationToken">Cancels the skip (it then rolls back).</param>
    /// <exception cref="DeadLetterNotFoundException">The event is not an open dead letter.</exception>
    public async Task<ApplyResult> SkipAsync(string projectionName, Guid eventId, CancellationToken cancellationToken = default)
    {
        using var find = _dataSource.CreateCommand($"SELECT ordering_key FROM {_schema.Quoted}.dead_letter WHERE projection_name = $1 AND event_id = $2 AND status = 'dead' AND resolved_at IS NULL");
        find.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        find.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = eventId });
        var key = await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string
            ?? throw new DeadLetterNotFoundException(projectionName, $"event {eventId}");
        return await ResolveAsync(projectionName, key, eventId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ApplyResult> ResolveAsync(string projectionName, string orderingKey, Guid? skipEventId, CancellationToken cancellationToken)
    {
        var applier = _applier(projectionName);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var partition = await ReplayFence.HoldAsync(connection, transaction, _schema, projectionName, orderingKey, cancellationToken).ConfigureAwait(false);
        var stored = new List<EventEnvelope>();
        var rowIds = new Dictionary<Guid, long>();
        using (var take = new NpgsqlCommand($"""
            UPDATE {_schema.Quoted}.dead_letter
            SET resolved_at = now(), resolution = CASE WHEN event_id = $3 THEN 'skipped' ELSE 'replayed' END
            WHERE projection_name = $1 AND ordering_key = $2 AND resolved_at IS NULL
            RETURNING event_id, ordering_key, version, position, event_type, occurred_at, payload::text, id
            """, connection, transaction))
        {
            take.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
            take.Parameters.Add(new NpgsqlParameter<string> { TypedValue = orderingKey });
            take.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid, Value = skipEventId is { } s ? s : DBNull.Value });
            using var reader = await take.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                stored.Add(ReadEnvelope(reader, 0, (_, payload) => payload));
                rowIds[stored[^1].EventId] = reader.GetInt64(7);
            }
        }

        if (stored.Count == 0)
        {
            throw new DeadLetterNotFoundException(projectionName, $"ordering key '{orderingKey}'");
        }

        if (skipEventId is { } skipped)
        {
            stored.RemoveAll(e => e.EventId == skipped);
            if (applier.Contract.Idempotency == IdempotencyMode.Inbox)
            {
                using var inbox = new NpgsqlCommand($"INSERT INTO {_schema.Quoted}.inbox (projection_name, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", connection, transaction);
                inbox.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
                inbox.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = skipped });
                await inbox.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var (events, unrestorable) = await RestoreAsync(connection, transaction, applier, stored, cancellationToken).ConfigureAwait(false);
        if (unrestorable.Count > 0 && skipEventId is null)
        {
            throw unrestorable[0];
        }

        var released = unrestorable.Select(u => u.EventId).ToArray();
        if (released.Length > 0)
        {
            using var release = new NpgsqlCommand($"""
                UPDATE {_schema.Quoted}.dead_letter SET resolution = 'released' WHERE id = ANY($1)
                """, connection, transaction);
            release.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = released.Select(id => rowIds[id]).ToArray() });
            await release.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var result = await applier.ReplayAsync(connection, transaction, events, partition, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        applier.Record(result);
        NpgsqlLog.DeadLettersResolved(_logger, projectionName, orderingKey, skipEventId is null ? "replayed" : "skipped", result.Applied);
        if (released.Length > 0)
        {
            NpgsqlLog.DeadLettersReleased(_logger, projectionName, orderingKey, released.Length, string.Join(", ", released));
        }

        return result with { Released = released };
    }

    /// <summary>
    /// The events with the payloads the projection needs, in version order: sealed values opened; for an outbox-fed projection, a
    /// payload whose personal data was stored as digests is read back from the outbox. Events restored from nowhere come back as the
    /// exceptions a replay of them throws (lowest version first).
    /// </summary>
    private async Task<(List<EventEnvelope> Events, List<RedactedPayloadException> Unrestorable)> RestoreAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ProjectionApplier applier, List<EventEnvelope> stored, CancellationToken cancellationToken)
    {
        var restored = new Dictionary<Guid, EventEnvelope>();
        var missing = new List<(EventEnvelope Envelope, RedactedPayloadException Error)>();
        foreach (var envelope in stored)
        {
            try
            {
                restored[envelope.EventId] = envelope with { Payload = applier.Privacy.ForReplay(envelope.EventId, envelope.Payload) };
            }
            catch (RedactedPayloadException error)
            {
                missing.Add((envelope, error));
            }
        }

        if (missing.Count > 0 && applier.Contract.Source is { Kind: SourceKind.Outbox } source)
        {
            var fromOutbox = await OutboxEventLookup.PayloadsAsync(connection, transaction, _schema, source.Name, missing.Select(m => m.Envelope).ToList(), cancellationToken).ConfigureAwait(false);
            foreach (var (envelope, _) in missing.Where(m => fromOutbox.ContainsKey(m.Envelope.EventId)))
            {
                restored[envelope.EventId] = envelope with { Payload = fromOutbox[envelope.EventId] };
            }

            missing.RemoveAll(m => fromOutbox.ContainsKey(m.Envelope.EventId));
        }

        return (
            [.. restored.Values.OrderBy(e => e.Version)],
            [.. missing.OrderBy(m => m.Envelope.Version).Select(m => m.Error)]);
    }

    /// <param name="reader">The row.</param>
    /// <param name="offset">The column of the event id.</param>
    /// <param name="payloadView">How the stored payload is shown (listing) or kept (replay and skip restore it afterwards); it sees the event id.</param>
    private static EventEnvelope ReadEnvelope(NpgsqlDataReader reader, int offset, Func<Guid, JsonElement, JsonElement> payloadView)
    {
        using var payload = JsonDocument.Parse(reader.GetString(offset + 6));
        var eventId = reader.GetGuid(offset);
        return new EventEnvelope
        {
            EventId = eventId,
            OrderingKey = reader.GetString(offset + 1),
            Version = reader.GetInt64(offset + 2),
            Position = new StreamPosition(reader.GetInt64(offset + 3)),
            Type = reader.GetString(offset + 4),
            OccurredAt = reader.GetFieldValue<DateTimeOffset>(offset + 5),
            Payload = payloadView(eventId, payload.RootElement).Clone(),
        };
    }
}
