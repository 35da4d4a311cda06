using System.Globalization;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ReadModelKit.Npgsql.Maintenance;

/// <summary>
/// Deletes outbox events that every reader has passed: at or before the lowest checkpoint of every partition of every projection
/// reading the stream (a partition without a checkpoint row counts as position 0), of every outbox runner this store does not know
/// (its stream is unknown, so it holds every stream), and of every registered <see cref="IOutboxRetentionHold"/>; and older than a
/// minimum age. An event with an open dead letter is never deleted: a replay or skip may restore its payload from the outbox. Every delete
/// raises the stream's prune floor (<c>outbox_prune_floor</c>), which a rebuild by outbox replay checks. Work is bounded: small delete transactions that skip rows another transaction holds. Thread-safe.
/// </summary>
public sealed class OutboxPruner
{
    private readonly NpgsqlReadModelStore _store;
    private readonly IReadOnlyList<IOutboxRetentionHold> _holds;
    private readonly ILogger _logger;

    /// <summary>Creates the pruner of <paramref name="store"/>'s outbox; DI does this through <c>UseNpgsql</c>.</summary>
    /// <param name="store">The initialized store.</param>
    /// <param name="holds">What else must keep events (rebuilds); none by default.</param>
    public OutboxPruner(NpgsqlReadModelStore store, IEnumerable<IOutboxRetentionHold>? holds = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _holds = [.. holds ?? []];
        _logger = store.Loggers.CreateLogger("ReadModelKit.Npgsql.Maintenance");
    }

    /// <summary>The outbox streams the registered projections read.</summary>
    public IReadOnlyList<string> Streams =>
        [.. _store.ProjectionNames.Select(n => _store.GetApplier(n).Contract.Source).Where(s => s.Kind == SourceKind.Outbox).Select(s => s.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Prunes every stream in <see cref="Streams"/>.</summary>
    /// <param name="minimumAge">Events younger than this (by their source time) are kept even when every reader has passed them.</param>
    /// <param name="batchSize">Events per delete transaction. Default 1000.</param>
    /// <param name="maxBatches">Upper bound of delete transactions per stream in this call. Default 100.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public async Task<IReadOnlyList<OutboxPruneResult>> PruneAllAsync(TimeSpan minimumAge, int batchSize = 1000, int maxBatches = 100, CancellationToken cancellationToken = default)
    {
        var results = new List<OutboxPruneResult>();
        foreach (var stream in Streams)
        {
            results.Add(await PruneAsync(stream, minimumAge, batchSize, maxBatches, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>Deletes events of <paramref name="stream"/> that every reader has passed and that are older than <paramref name="minimumAge"/>.</summary>
    /// <param name="stream">The outbox stream.</param>
    /// <param name="minimumAge">Events younger than this (by their source time) are kept even when every reader has passed them.</param>
    /// <param name="batchSize">Events per delete transaction. Default 1000.</param>
    /// <param name="maxBatches">Upper bound of delete transactions in this call. Default 100.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public async Task<OutboxPruneResult> PruneAsync(string stream, TimeSpan minimumAge, int batchSize = 1000, int maxBatches = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumAge, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatches, 1);
        var (floor, heldBy) = await FloorAsync(stream, cancellationToken).ConfigureAwait(false);
        if (floor == StreamPosition.Start)
        {
            return new OutboxPruneResult(stream, floor, heldBy, 0, 0);
        }

        var schema = _store.SchemaIdentifier.Quoted;
        // The floor rises in the delete's own statement, so a replay never misses a prune.
        var sql = new OutboxPruneFloor(_store.SchemaIdentifier).DeleteAndRecord($"""
            DELETE FROM {schema}.outbox WHERE position = ANY(ARRAY(
                SELECT o.position FROM {schema}.outbox o
                WHERE o.stream = $1 AND o.tx_id <= $2::text::xid8 AND o.occurred_at < $3
                  AND NOT EXISTS (SELECT 1 FROM {schema}.dead_letter d WHERE d.event_id = o.event_id AND d.resolved_at IS NULL)
                LIMIT $4 FOR UPDATE SKIP LOCKED))
            RETURNING tx_id
            """);
        var cutoff = (_store.Time.GetUtcNow() - minimumAge).UtcDateTime;
        long deleted = 0;
        var batches = 0;
        while (batches < maxBatches && !cancellationToken.IsCancellationRequested)
        {
            using var command = _store.DataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = floor.Value.ToString(CultureInfo.InvariantCulture) });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = cutoff });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            var rows = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            batches++;
            deleted += rows;
            if (rows < batchSize)
            {
                break;
            }
        }

        NpgsqlLog.Pruned(_logger, $"{schema}.outbox ({stream})", deleted, batches);
        return new OutboxPruneResult(stream, floor, heldBy, deleted, batches);
    }

    /// <summary>The lowest position every reader of <paramref name="stream"/> has passed, and what holds it there.</summary>
    private async Task<(StreamPosition Floor, string HeldBy)> FloorAsync(string stream, CancellationToken cancellationToken)
    {
        var readers = _store.ProjectionNames
            .Where(n => _store.GetApplier(n).Contract.Source is { Kind: SourceKind.Outbox } s && s.Name == stream)
            .ToArray();
        var known = _store.ProjectionNames.ToArray();
        var schema = _store.SchemaIdentifier.Quoted;

        // Per reader: its partition count (from the lease rows; 1 before a runner started), its live checkpoint rows, and the minimum
        // over all its checkpoint rows (a rebuild replaying the stream keeps its own track).
        // Outbox runners of projections this store does not know count as readers of every stream.
        using var command = _store.DataSource.CreateCommand($"""
            WITH reader AS (
                SELECT unnest($1::text[]) AS name
                UNION
                SELECT DISTINCT projection_name FROM {schema}.lease WHERE projection_name <> ALL($2::text[])
            )
            SELECT r.name,
                   coalesce((SELECT max(l.partition_count) FROM {schema}.lease l WHERE l.projection_name = r.name), 1),
                   (SELECT count(*) FROM {schema}.checkpoint c WHERE c.projection_name = r.name AND c.track = ''),
                   (SELECT min(c.position) FROM {schema}.checkpoint c WHERE c.projection_name = r.name)
            FROM reader r
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = readers });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = known });
        var floor = long.MaxValue;
        var heldBy = "no reader";
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                var partitions = reader.GetInt32(1);
                var rows = reader.GetInt64(2);
                var lowest = rows < partitions || reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
                if (lowest < floor)
                {
                    floor = lowest;
                    heldBy = rows < partitions ? $"projection '{name}' ({partitions - rows} partition(s) without a checkpoint yet)" : $"projection '{name}'";
                }
            }
        }

        foreach (var hold in _holds)
        {
            if (await hold.PrunableUpToAsync(stream, cancellationToken).ConfigureAwait(false) is { } held && held.Value < floor)
            {
                floor = held.Value;
                heldBy = $"hold '{hold.Name}'";
            }
        }

        // No reader at all: nothing proves the events were read, so keep them.
        return floor == long.MaxValue ? (StreamPosition.Start, heldBy) : (new StreamPosition(floor), heldBy);
    }
}
