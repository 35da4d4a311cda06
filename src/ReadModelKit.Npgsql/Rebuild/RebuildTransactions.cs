using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The short transactions every rebuild step runs in, the throttle between chunks, and the one chunk statement call shared by backfill
/// and repair in place.
/// </summary>
internal sealed class RebuildTransactions(NpgsqlReadModelStore store, RebuildOptions options)
{
    /// <summary>Runs <paramref name="body"/> in its own transaction on its own connection and commits it.</summary>
    public async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> body, CancellationToken cancellationToken)
    {
        var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var result = await body(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Pauses for <see cref="RebuildOptions.ThrottleDelay"/> between chunks.</summary>
    public Task ThrottleAsync(CancellationToken cancellationToken) =>
        options.ThrottleDelay > TimeSpan.Zero ? Task.Delay(options.ThrottleDelay, store.Time, cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// Runs one <see cref="ChunkStatements"/> statement after <paramref name="cursor"/> within <paramref name="scope"/>; with
    /// <paramref name="asynchronousCommit"/>, the transaction commits without waiting for its WAL flush (sent in the same round trip).
    /// </summary>
    public async Task<(int Written, int Read, string[]? Last)> ChunkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string[]? cursor, DriftScope scope, CancellationToken cancellationToken, bool asynchronousCommit = false)
    {
        using var batch = new NpgsqlBatch(connection, transaction);
        if (asynchronousCommit)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
        }

        var chunk = new NpgsqlBatchCommand(sql);
        chunk.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = store.Time.GetUtcNow().UtcDateTime });
        chunk.Parameters.Add(TextArray(cursor));
        chunk.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.ChunkSize });
        chunk.Parameters.Add(TextArray(scope.KeyPrefix.Count > 0 ? KeyCursor.ToText(scope.KeyPrefix) : null));
        chunk.Parameters.Add(TextArray(scope.From is null ? null : KeyCursor.ToText(scope.From)));
        chunk.Parameters.Add(TextArray(scope.To is null ? null : KeyCursor.ToText(scope.To)));
        batch.BatchCommands.Add(chunk);
        using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt32(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<string[]>(2));
    }

    /// <summary>Progress after a chunk: the rate of this node's session and the time left at that rate.</summary>
    public static RebuildProgress Progress(string projectionName, RebuildRunState state, long done, long? total, TimeSpan elapsed, long sessionRows)
    {
        var rate = elapsed.TotalSeconds > 0 ? sessionRows / elapsed.TotalSeconds : 0;
        TimeSpan? remaining = total is { } t && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, t - done) / rate) : null;
        return new RebuildProgress(projectionName, state, done, total, rate, remaining);
    }

    /// <summary>A <c>text[]</c> parameter, null as SQL NULL.</summary>
    public static NpgsqlParameter TextArray(string[]? values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)values ?? DBNull.Value };

    /// <summary>The refusal of an operation that needs an active run when there is none.</summary>
    public static RebuildStateException NoActiveRun(string projectionName, string operation, RebuildRun? latest) =>
        new(projectionName, operation, latest?.State, latest is null
            ? $"Projection '{projectionName}' has no rebuild to {operation}: start one with StartAsync."
            : $"Projection '{projectionName}' has no active rebuild to {operation}: its last run {latest.Id} is {latest.State}. Start a new one with StartAsync.");
}
