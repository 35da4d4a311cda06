using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Privacy;

/// <summary>
/// Replaces the sealed or clear masked and prohibited fields of open dead letters by digests, in bounded batches, each its own
/// short transaction that skips rows another transaction holds (a replay in progress).
/// </summary>
internal static class DeadLetterPayloadPurger
{
    /// <summary>Purges one projection's open dead letters; returns how many payloads changed.</summary>
    public static async Task<long> PurgeAsync(NpgsqlDataSource dataSource, SqlIdentifier schema, string projectionName, ProjectionPrivacy privacy, int batchSize, int maxBatches, CancellationToken cancellationToken)
    {
        if (privacy.Policy.IsEmpty)
        {
            return 0;
        }

        long changed = 0;
        var after = 0L;
        for (var batch = 0; batch < maxBatches; batch++)
        {
            var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            var ids = new List<long>();
            var payloads = new List<string>();
            var read = 0;
            using (var select = new NpgsqlCommand($"""
                SELECT id, payload::text FROM {schema.Quoted}.dead_letter
                WHERE projection_name = $1 AND resolved_at IS NULL AND id > $2
                ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
                """, connection, transaction))
            {
                select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
                select.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
                select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
                using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    read++;
                    after = reader.GetInt64(0);
                    using var payload = System.Text.Json.JsonDocument.Parse(reader.GetString(1));
                    if (privacy.ToDigests(payload.RootElement) is { } purged)
                    {
                        ids.Add(after);
                        payloads.Add(purged);
                    }
                }
            }

            if (ids.Count > 0)
            {
                using var update = new NpgsqlCommand($"""
                    UPDATE {schema.Quoted}.dead_letter d SET payload = u.payload
                    FROM unnest($1::bigint[], $2::jsonb[]) AS u(id, payload)
                    WHERE d.id = u.id
                    """, connection, transaction);
                update.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. ids] });
                update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. payloads], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
                changed += await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (read < batchSize)
            {
                break;
            }
        }

        return changed;
    }
}
