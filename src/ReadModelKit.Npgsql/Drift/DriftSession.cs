using System.Data;
using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>Opens the read-only REPEATABLE READ transactions drift checks run in, and reads positions inside them.</summary>
internal static class DriftSession
{
    /// <summary>
    /// The sort memory a check's transaction raises <c>work_mem</c> to when it is lower (never lowers it): leaf rows come sorted by
    /// key identity (0.1% drift on a 1M-row table: about 62,000 short rows per side, up to 1M with drift spread wider), and would
    /// otherwise spill to disk.
    /// </summary>
    public const string SortMemory = "64MB";

    /// <summary>
    /// Begins a read-only REPEATABLE READ transaction with at least <see cref="SortMemory"/> of <c>work_mem</c>, optionally importing
    /// a snapshot exported by another connection (<see cref="ExportSnapshotAsync"/>), fixing the text settings
    /// (<see cref="CanonicalRowEncoding.SessionSettings"/>) and setting <c>max_parallel_workers_per_gather</c> to
    /// <paramref name="parallelWorkers"/> (null: the server's setting).
    /// </summary>
    public static async Task<NpgsqlTransaction> BeginSnapshotAsync(NpgsqlConnection connection, bool fixedTextSettings, CancellationToken cancellationToken, string? importSnapshot = null, int? parallelWorkers = null)
    {
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        var sql = "SET TRANSACTION READ ONLY";
        if (importSnapshot is not null)
        {
            if (!importSnapshot.All(c => char.IsAsciiHexDigit(c) || c == '-'))
            {
                throw new InvalidOperationException($"Unexpected snapshot id '{importSnapshot}'.");
            }

            sql += $"; SET TRANSACTION SNAPSHOT '{importSnapshot}'";
        }

        sql += $"; SELECT set_config('work_mem', '{SortMemory}', true) WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('{SortMemory}')";
        if (parallelWorkers is { } workers)
        {
            sql += $"; SET LOCAL max_parallel_workers_per_gather = {DriftReading.Invariant(workers)}";
        }

        if (fixedTextSettings)
        {
            sql += "; " + CanonicalRowEncoding.SessionSettings;
        }

        using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return transaction;
    }

    /// <summary>
    /// Begins a transaction a check reads one of its sides in: <see cref="BeginSnapshotAsync"/> with the fixed text settings and the
    /// check's <see cref="DriftCheckOptions.MaxParallelWorkers"/>. Every connection of a check opens its transaction here.
    /// </summary>
    public static Task<NpgsqlTransaction> BeginCheckAsync(NpgsqlConnection connection, DriftCheckOptions options, CancellationToken cancellationToken, string? importSnapshot = null) =>
        BeginSnapshotAsync(connection, fixedTextSettings: true, cancellationToken, importSnapshot, options.MaxParallelWorkers);

    /// <summary>Exports the transaction's snapshot so another connection can read exactly the same data.</summary>
    public static async Task<string> ExportSnapshotAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction);
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The projection's applied position: the configured reader, or the lowest checkpoint of its partitions.</summary>
    public static async Task<long> ProjectionPositionAsync(NpgsqlConnection connection, DriftCheckOptions options, SqlIdentifier schema, string projectionName, CancellationToken cancellationToken)
    {
        if (options.ProjectionPosition is { } reader)
        {
            return await reader(connection, cancellationToken).ConfigureAwait(false);
        }

        using var command = new NpgsqlCommand($"SELECT coalesce(min(position), 0) FROM {schema.Quoted}.checkpoint WHERE projection_name = $1 AND track = ''", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The planner's row estimate of a table (0 when it was never analyzed).</summary>
    public static async Task<double> EstimatedRowsAsync(NpgsqlConnection connection, string qualifiedTable, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = to_regclass($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = qualifiedTable });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is double rows ? rows : 0;
    }
}
