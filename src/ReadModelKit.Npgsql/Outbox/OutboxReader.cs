using System.Text.Json;
using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Outbox;

/// <summary>
/// Reads one partition of an outbox stream gap-safely: only events of transactions below the snapshot's xmin
/// (all finished, and no transaction below it can ever add an event), in transaction order, whole transactions per batch.
/// The proof is in docs/outbox.md.
/// </summary>
internal sealed class OutboxReader
{
    private const string Columns = "o.tx_id::text::int8, o.event_id, o.ordering_key, o.version, o.event_type, o.occurred_at, o.payload::text";
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _fetch;

    private readonly string _fetchTransaction;

    public OutboxReader(NpgsqlDataSource dataSource, SqlIdentifier schema)
    {
        _dataSource = dataSource;
        var partition = Partitioning.Of("o.ordering_key", "$3");
        // One statement, so the horizon, the events and the held-back summary all come from one snapshot.
        _fetch = $"""
            WITH h AS MATERIALIZED (
                SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
            ), held AS (
                -- The first committed event waiting behind an older running transaction (index order: cheap even when many wait).
                SELECT o.occurred_at AS oldest FROM {schema.Quoted}.outbox o
                WHERE o.stream = $1 AND o.tx_id >= (SELECT xmin FROM h) AND ($3 = 1 OR {partition} = $4)
                ORDER BY o.tx_id, o.position LIMIT 1
            )
            SELECT (SELECT xmin FROM h)::text::int8, (SELECT oldest FROM held), e.*
            FROM (SELECT 1) one LEFT JOIN LATERAL (
                SELECT {Columns}
                FROM {schema.Quoted}.outbox o
                WHERE o.stream = $1 AND o.tx_id > $2::text::xid8 AND o.tx_id < (SELECT xmin FROM h)
                  AND ($3 = 1 OR {partition} = $4)
                ORDER BY o.tx_id, o.position
                LIMIT $5
            ) e ON true
            """;
        _fetchTransaction = $"""
            SELECT {Columns} FROM {schema.Quoted}.outbox o
            WHERE o.stream = $1 AND o.tx_id = $2::text::xid8 AND ($3 = 1 OR {partition} = $4)
            ORDER BY o.position
            """;
    }

    /// <summary>Reads the next batch after transaction <paramref name="after"/>: at most <paramref name="limit"/> events unless one transaction alone is larger (it is then read whole).</summary>
    public async Task<OutboxBatch> FetchAsync(string stream, int partition, int partitionCount, StreamPosition after, int limit, CancellationToken cancellationToken)
    {
        var events = new List<EventEnvelope>();
        long horizon;
        DateTimeOffset? oldestHeldBack;
        using (var command = _dataSource.CreateCommand(_fetch))
        {
            AddFilter(command, stream, after.Value, partitionCount, partition);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            horizon = 0;
            oldestHeldBack = null;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                horizon = reader.GetInt64(0);
                oldestHeldBack = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
                if (!reader.IsDBNull(2))
                {
                    events.Add(Read(reader, 2));
                }
            }
        }

        if (events.Count < limit)
        {
            return new OutboxBatch(events, horizon, ReachedHorizon: true, oldestHeldBack);
        }

        // The limit may have cut the last transaction: never deliver part of one (its position is shared by all its events,
        // so the checkpoint would pass the rest). Drop it, or, when it is the only one, read it whole.
        var last = events[^1].Position;
        var firstOfLast = events.FindIndex(e => e.Position == last);
        if (firstOfLast > 0)
        {
            events.RemoveRange(firstOfLast, events.Count - firstOfLast);
            return new OutboxBatch(events, horizon, ReachedHorizon: false, oldestHeldBack);
        }

        events.Clear();
        using (var command = _dataSource.CreateCommand(_fetchTransaction))
        {
            AddFilter(command, stream, last.Value, partitionCount, partition);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(Read(reader, 0));
            }
        }

        return new OutboxBatch(events, horizon, ReachedHorizon: false, oldestHeldBack);
    }

    private static void AddFilter(NpgsqlCommand command, string stream, long transaction, int partitionCount, int partition)
    {
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = stream });
        p.Add(new NpgsqlParameter<string> { TypedValue = transaction.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        p.Add(new NpgsqlParameter<int> { TypedValue = partitionCount });
        p.Add(new NpgsqlParameter<int> { TypedValue = partition });
    }

    private static EventEnvelope Read(NpgsqlDataReader reader, int offset)
    {
        using var payload = JsonDocument.Parse(reader.GetString(offset + 6));
        return new EventEnvelope
        {
            Position = new StreamPosition(reader.GetInt64(offset)),
            EventId = reader.GetGuid(offset + 1),
            OrderingKey = reader.GetString(offset + 2),
            Version = reader.GetInt64(offset + 3),
            Type = reader.GetString(offset + 4),
            OccurredAt = reader.GetFieldValue<DateTimeOffset>(offset + 5),
            Payload = payload.RootElement.Clone(),
        };
    }
}
