using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Changes;
using ReadModelKit.Events;
using ReadModelKit.Projections;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// The seeds' pattern, given its best shot: one open connection, prepared statements, and per event one transaction:
/// <c>INSERT INTO inbox … ON CONFLICT DO NOTHING</c>; if a row was inserted, the projection's guarded upsert
/// (<c>INSERT … ON CONFLICT DO UPDATE … WHERE version &lt; EXCLUDED.version</c>); <c>COMMIT</c>.
/// Same projection, same tables (the library's inbox and the read model) as the library path.
/// </summary>
public static class PerEventBaseline
{
    public static async Task<int> RunAsync(NpgsqlDataSource dataSource, IProjection projection, string librarySchema, string table, IReadOnlyList<EventEnvelope> events)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var inbox = new NpgsqlCommand($"INSERT INTO {librarySchema}.inbox (projection_name, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", connection);
        inbox.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection.Contract.Name });
        var eventId = new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid };
        inbox.Parameters.Add(eventId);
        await using var upsert = new NpgsqlCommand($"""
            INSERT INTO {table} AS t (tenant_id, case_id, status, assignee, open_task_count, version, projected_at, deleted_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
            ON CONFLICT (tenant_id, case_id) DO UPDATE
            SET status = EXCLUDED.status, assignee = EXCLUDED.assignee, open_task_count = EXCLUDED.open_task_count,
                version = EXCLUDED.version, projected_at = EXCLUDED.projected_at, deleted_at = NULL
            WHERE t.version < EXCLUDED.version
            """, connection);
        var tenant = new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text };
        var caseId = new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer };
        var status = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var assignee = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var openTasks = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer };
        var version = new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint };
        var projectedAt = new NpgsqlParameter<DateTime> { NpgsqlDbType = NpgsqlDbType.TimestampTz };
        upsert.Parameters.AddRange(new NpgsqlParameter[] { tenant, caseId, status, assignee, openTasks, version, projectedAt });
        await inbox.PrepareAsync();
        await upsert.PrepareAsync();

        var written = 0;
        foreach (var envelope in events)
        {
            var changes = projection.Project(envelope);
            await using var transaction = await connection.BeginTransactionAsync();
            inbox.Transaction = transaction;
            upsert.Transaction = transaction;
            eventId.TypedValue = envelope.EventId;
            if (await inbox.ExecuteNonQueryAsync() == 1)
            {
                foreach (var change in changes)
                {
                    tenant.TypedValue = (string)change.Key[0];
                    caseId.TypedValue = (int)change.Key[1];
                    status.Value = change.Values["status"] ?? DBNull.Value;
                    assignee.Value = change.Values["assignee"] ?? DBNull.Value;
                    openTasks.Value = change.Values["open_task_count"] ?? DBNull.Value;
                    version.TypedValue = change.Version;
                    projectedAt.TypedValue = DateTime.UtcNow;
                    written += await upsert.ExecuteNonQueryAsync();
                }
            }

            await transaction.CommitAsync();
        }

        return written;
    }
}
