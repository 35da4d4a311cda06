using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Maintenance;

/// <summary>
/// The owner of the <c>outbox_prune_floor</c> table: per stream, the highest position (transaction id) whose events were ever pruned.
/// <see cref="OutboxPruner"/> is its only writer, in the same statement as its delete; a rebuild by replay reads it when it is planned
/// and inside every batch, so a replay that needs a pruned event stops instead of building an incomplete version.
/// </summary>
internal sealed class OutboxPruneFloor
{
    private readonly string _table;

    public OutboxPruneFloor(SqlIdentifier schema) => _table = schema.Quoted + ".outbox_prune_floor";

    /// <summary>
    /// Wraps <paramref name="deleteReturningTxId"/> (a <c>DELETE … RETURNING tx_id</c> of stream <c>$1</c>) so that the same statement
    /// raises the stream's floor to the highest deleted position; the statement returns the number of events deleted.
    /// </summary>
    public string DeleteAndRecord(string deleteReturningTxId) => $"""
        WITH deleted AS (
            {deleteReturningTxId}
        ), floor AS (
            INSERT INTO {_table} AS f (stream, pruned_up_to, pruned_at)
            SELECT $1, max(tx_id::text::int8), now() FROM deleted HAVING count(*) > 0
            ON CONFLICT (stream) DO UPDATE SET pruned_up_to = greatest(f.pruned_up_to, EXCLUDED.pruned_up_to), pruned_at = EXCLUDED.pruned_at
        )
        SELECT count(*)::int4 FROM deleted
        """;

    /// <summary>Reads the floor of <paramref name="stream"/>, for a <see cref="NpgsqlBatch"/>: no row while nothing was pruned.</summary>
    public NpgsqlBatchCommand ReadCommand(string stream)
    {
        var command = new NpgsqlBatchCommand($"SELECT pruned_up_to, pruned_at FROM {_table} WHERE stream = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        return command;
    }

    /// <summary>The floor of <paramref name="stream"/>, or null while nothing was pruned.</summary>
    public async Task<Floor?> ReadAsync(NpgsqlDataSource dataSource, string stream, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var batch = new NpgsqlBatch(connection) { BatchCommands = { ReadCommand(stream) } };
        using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the current result set of <see cref="ReadCommand"/>.</summary>
    public static async Task<Floor?> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new Floor(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1))
            : null;

    /// <summary>The highest pruned position of a stream and when it was last raised.</summary>
    public readonly record struct Floor(long PrunedUpTo, DateTimeOffset PrunedAt);
}
