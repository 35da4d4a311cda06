using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Leases;

/// <summary>
/// The fence of a dead-letter replay: inside the replay's transaction, finds the partition of the ordering key and locks that
/// partition's lease row FOR UPDATE. A batch of the partition fences with FOR KEY SHARE on the same row, so batches and the replay
/// of that partition take turns: a batch never parks an event behind a dead letter the replay is resolving, and no other partition waits.
/// </summary>
internal static class ReplayFence
{
    /// <summary>Locks the partition of <paramref name="orderingKey"/> (partition 0 when the projection has no runner leases) and returns it.</summary>
    public static async Task<int> HoldAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SqlIdentifier schema, string projectionName, string orderingKey, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"""
            WITH n AS (
                SELECT coalesce(max(partition_count), 1) AS n FROM {schema.Quoted}.lease WHERE projection_name = $1
            ), p AS (
                SELECT {Partitioning.Of("$2::text", "n.n")} AS partition_id FROM n
            ), held AS (
                SELECT l.partition_id FROM {schema.Quoted}.lease l, p
                WHERE l.projection_name = $1 AND l.partition_id = p.partition_id
                FOR UPDATE OF l
            )
            SELECT p.partition_id, EXISTS (SELECT 1 FROM held) FROM p
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = orderingKey });
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetInt32(0);
    }
}
