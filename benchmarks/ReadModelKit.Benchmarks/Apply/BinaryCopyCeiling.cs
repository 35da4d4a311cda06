using Npgsql;
using NpgsqlTypes;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// The raw ceiling: binary COPY of the workload's already projected rows, in one transaction, into tables with the same
/// columns and primary keys as the real ones and no other index (<see cref="BenchDatabase.CopyInbox"/>, <see cref="BenchDatabase.CopyTable"/>).
/// No dedupe, no version guard, no checkpoint: the fastest way PostgreSQL takes these rows (synchronous row writes into
/// Npgsql's buffer; only the flushes touch the socket).
/// </summary>
public static class BinaryCopyCeiling
{
    public static async Task<ulong> RunAsync(NpgsqlDataSource dataSource, string projectionName, ProjectedRows rows, bool inbox)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        ulong copied = 0;
        if (inbox)
        {
            await using var importer = await connection.BeginBinaryImportAsync($"COPY {BenchDatabase.CopyInbox} (projection_name, event_id) FROM STDIN (FORMAT BINARY)");
            for (var i = 0; i < rows.Count; i++)
            {
                importer.StartRow();
                importer.Write(projectionName, NpgsqlDbType.Text);
                importer.Write(rows.EventIds[i], NpgsqlDbType.Uuid);
            }

            copied += await importer.CompleteAsync();
        }

        var projectedAt = DateTime.UtcNow;
        await using (var importer = await connection.BeginBinaryImportAsync(
            $"COPY {BenchDatabase.CopyTable} (tenant_id, case_id, status, assignee, open_task_count, version, projected_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < rows.Count; i++)
            {
                importer.StartRow();
                importer.Write(rows.Tenants[i], NpgsqlDbType.Text);
                importer.Write(rows.CaseIds[i], NpgsqlDbType.Integer);
                WriteNullable(importer, rows.Statuses[i], NpgsqlDbType.Text);
                WriteNullable(importer, rows.Assignees[i], NpgsqlDbType.Text);
                WriteNullable(importer, rows.OpenTasks[i], NpgsqlDbType.Integer);
                importer.Write(rows.Versions[i], NpgsqlDbType.Bigint);
                importer.Write(projectedAt, NpgsqlDbType.TimestampTz);
            }

            copied += await importer.CompleteAsync();
        }

        await transaction.CommitAsync();
        return copied;
    }

    private static void WriteNullable(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, type);
        }
    }

    private static void WriteNullable(NpgsqlBinaryImporter importer, int? value, NpgsqlDbType type)
    {
        if (value is { } v)
        {
            importer.Write(v, type);
        }
        else
        {
            importer.WriteNull();
        }
    }
}
