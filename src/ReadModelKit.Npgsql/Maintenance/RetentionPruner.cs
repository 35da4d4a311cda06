using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Npgsql.Diagnostics;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Maintenance;

/// <summary>
/// Removes old inbox rows, old tombstones, resolved dead letters and repaired drift incidents in small batches, each its own short
/// transaction that skips rows another transaction holds (<c>FOR UPDATE SKIP LOCKED</c>), so pruning never blocks the apply path;
/// and purges personal data from the payloads of open dead letters on request.
/// </summary>
public sealed class RetentionPruner
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, Apply.ProjectionApplier> _applier;

    internal RetentionPruner(NpgsqlDataSource dataSource, SqlIdentifier schema, TimeProvider time, ILogger logger, Func<string, Apply.ProjectionApplier> applier)
    {
        _applier = applier;
        _dataSource = dataSource;
        _schema = schema;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Deletes inbox rows of <paramref name="projectionName"/> processed more than <paramref name="retention"/> ago.
    /// An event redelivered after its inbox row is gone is applied again; the version guard still stops it from
    /// overwriting newer rows, so keep the retention longer than the longest redelivery window of the source.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="retention">How long inbox rows are kept.</param>
    /// <param name="batchSize">Rows per delete transaction. Default 1000.</param>
    /// <param name="maxBatches">Upper bound of batches in this call. Default 100.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The number of rows deleted.</returns>
    public Task<long> PruneInboxAsync(string projectionName, TimeSpan retention, int batchSize = 1000, int maxBatches = 100, CancellationToken cancellationToken = default) =>
        PruneLibraryTableAsync("inbox", "processed_at", projectionName, retention, batchSize, maxBatches, cancellationToken);

    /// <summary>
    /// Physically deletes rows tombstoned more than <paramref name="horizon"/> ago. After that, an upsert older than the
    /// tombstone could recreate the row, so the horizon must exceed the longest time an event can arrive late.
    /// </summary>
    /// <param name="table">The projection's checked table (from <see cref="Apply.ProjectionApplier.Table"/>).</param>
    /// <param name="horizon">How long tombstones are kept.</param>
    /// <param name="batchSize">Rows per delete transaction. Default 1000.</param>
    /// <param name="maxBatches">Upper bound of batches in this call. Default 100.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The number of rows deleted.</returns>
    /// <exception cref="Exceptions.ReadModelKitException">The mapping has no tombstone column.</exception>
    public Task<long> PurgeTombstonesAsync(ReadModelTable table, TimeSpan horizon, int batchSize = 1000, int maxBatches = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var tombstone = table.Tombstone ?? throw new Exceptions.ReadModelKitException($"Projection '{table.ProjectionName}' maps no TombstoneColumn, so it has no tombstones to purge.", table.ProjectionName);
        return PruneAsync(
            table.QualifiedName,
            $"""
            DELETE FROM {table.QualifiedName} WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM {table.QualifiedName}
                WHERE $1::text IS NOT NULL AND {tombstone} < $2
                LIMIT $3 FOR UPDATE SKIP LOCKED))
            """,
            table.ProjectionName,
            horizon,
            batchSize,
            maxBatches,
            cancellationToken);
    }

    /// <summary>
    /// Deletes dead letters of <paramref name="projectionName"/> resolved (replayed or skipped) more than <paramref name="retention"/>
    /// ago. Open dead letters are never deleted.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="retention">How long resolved dead letters are kept.</param>
    /// <param name="batchSize">Rows per delete transaction. Default 1000.</param>
    /// <param name="maxBatches">Upper bound of batches in this call. Default 100.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The number of rows deleted.</returns>
    public Task<long> PruneDeadLettersAsync(string projectionName, TimeSpan retention, int batchSize = 1000, int maxBatches = 100, CancellationToken cancellationToken = default) =>
        PruneLibraryTableAsync("dead_letter", "resolved_at", projectionName, retention, batchSize, maxBatches, cancellationToken);

    /// <summary>
    /// Deletes drift incidents of <paramref name="projectionName"/> repaired more than <paramref name="retention"/> ago. Open incidents
    /// are never deleted.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="retention">How long repaired incidents are kept.</param>
    /// <param name="batchSize">Rows per delete transaction. Default 1000.</param>
    /// <param name="maxBatches">Upper bound of batches in this call. Default 100.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The number of rows deleted.</returns>
    public Task<long> PruneDriftIncidentsAsync(string projectionName, TimeSpan retention, int batchSize = 1000, int maxBatches = 100, CancellationToken cancellationToken = default) =>
        PruneLibraryTableAsync("drift_incident", "repaired_at", projectionName, retention, batchSize, maxBatches, cancellationToken);

    /// <summary>
    /// Replaces the masked and prohibited fields of the projection's open dead letters (sealed or, from before a policy change, in the
    /// clear) by digests, for a data-subject erasure request or before handing the table to someone else. Purged dead letters can no
    /// longer be replayed (<see cref="Privacy.RedactedPayloadException"/>): skip them and re-deliver the events from their source.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="batchSize">Rows per transaction. Default 1000.</param>
    /// <param name="maxBatches">Upper bound of batches in this call. Default 100.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The number of payloads changed.</returns>
    public async Task<long> PurgeMaskedPayloadsAsync(string projectionName, int batchSize = 1000, int maxBatches = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projectionName);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatches, 1);
        var privacy = _applier(projectionName).Privacy;
        var changed = await Privacy.DeadLetterPayloadPurger.PurgeAsync(_dataSource, _schema, projectionName, privacy, batchSize, maxBatches, cancellationToken).ConfigureAwait(false);
        NpgsqlLog.PayloadsPurged(_logger, projectionName, changed);
        return changed;
    }

    /// <summary>Deletes a projection's rows of one library table whose <paramref name="timeColumn"/> is older than <paramref name="age"/>.</summary>
    private Task<long> PruneLibraryTableAsync(string table, string timeColumn, string projectionName, TimeSpan age, int batchSize, int maxBatches, CancellationToken cancellationToken)
    {
        var qualified = $"{_schema.Quoted}.{table}";
        return PruneAsync(
            qualified,
            $"""
            DELETE FROM {qualified} WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM {qualified}
                WHERE projection_name = $1 AND {timeColumn} < $2
                LIMIT $3 FOR UPDATE SKIP LOCKED))
            """,
            projectionName,
            age,
            batchSize,
            maxBatches,
            cancellationToken);
    }

    private async Task<long> PruneAsync(string tableName, string sql, string projectionName, TimeSpan age, int batchSize, int maxBatches, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(age, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatches, 1);
        var cutoff = (_time.GetUtcNow() - age).UtcDateTime;
        long total = 0;
        var batches = 0;
        while (batches < maxBatches && !cancellationToken.IsCancellationRequested)
        {
            using var command = _dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = cutoff });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            batches++;
            total += deleted;
            if (deleted < batchSize)
            {
                break;
            }
        }

        NpgsqlLog.Pruned(_logger, tableName, total, batches);
        return total;
    }
}
