using System.Text.Json;
using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Outbox;

/// <summary>
/// Reads events back from the outbox by id, read-only, inside the caller's transaction: the source of truth a dead letter's payload
/// is restored from when the dead-letter table holds only digests of its personal data.
/// </summary>
internal static class OutboxEventLookup
{
    /// <summary>
    /// The outbox payloads of <paramref name="events"/> in <paramref name="stream"/>, by event id. An event is found only when its
    /// id, ordering key and version all match; events the outbox no longer holds (pruned) are absent.
    /// </summary>
    public static async Task<Dictionary<Guid, JsonElement>> PayloadsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        SqlIdentifier schema,
        string stream,
        IReadOnlyCollection<EventEnvelope> events,
        CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, JsonElement>();
        if (events.Count == 0)
        {
            return found;
        }

        using var command = new NpgsqlCommand($"""
            SELECT o.event_id, o.payload::text
            FROM unnest($2::uuid[], $3::text[], $4::int8[]) AS w(event_id, ordering_key, version)
            JOIN {schema.Quoted}.outbox o ON o.event_id = w.event_id AND o.ordering_key = w.ordering_key AND o.version = w.version
            WHERE o.stream = $1
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = events.Select(e => e.EventId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = events.Select(e => e.OrderingKey).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = events.Select(e => e.Version).ToArray() });
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            using var payload = JsonDocument.Parse(reader.GetString(1));
            found[reader.GetGuid(0)] = payload.RootElement.Clone();
        }

        return found;
    }
}
