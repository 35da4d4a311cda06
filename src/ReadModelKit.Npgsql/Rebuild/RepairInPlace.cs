using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Recomputes one key, a key range, one tenant or everything from the source into the serving version while it serves.</summary>
internal sealed class RepairInPlace(NpgsqlReadModelStore store, RebuildOptions options, ILogger logger, RebuildTransactions transactions)
{
    /// <inheritdoc cref="RebuildOrchestrator.RepairAsync"/>
    public async Task<RepairResult> RepairAsync(string projectionName, DriftScope scope, IReadOnlyList<string>? resumeAfter = null, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var table = store.GetApplier(projectionName).Table;
        RebuildPlanner.CheckCommuteRule(table);
        var errors = scope.Validate(table.Keys.Count);
        if (errors.Count > 0 || (resumeAfter is not null && resumeAfter.Count != table.Keys.Count))
        {
            throw new ArgumentException($"The repair scope does not fit the keys of projection '{projectionName}' ({table.KeyList()}): {string.Join(" ", errors)}{(resumeAfter is not null && resumeAfter.Count != table.Keys.Count ? " resumeAfter must hold one value per key column." : "")}", nameof(scope));
        }

        var sql = ChunkStatements.Repair(table, scope);
        var cursor = resumeAfter?.ToArray();
        long keys = 0;
        long rows = 0;
        var batches = 0;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (written, read, last) = await transactions.InTransactionAsync((connection, transaction) => transactions.ChunkAsync(connection, transaction, sql, cursor, scope, cancellationToken), cancellationToken).ConfigureAwait(false);
            batches++;
            keys += read;
            rows += written;
            cursor = last ?? cursor;
            progress?.Report(RebuildTransactions.Progress(projectionName, RebuildRunState.Backfilling, keys, null, clock.Elapsed, keys));
            if (read < options.ChunkSize)
            {
                break;
            }

            await transactions.ThrottleAsync(cancellationToken).ConfigureAwait(false);
        }

        RebuildLog.Repaired(logger, projectionName, scope.ToString(), keys, rows, batches);
        return new RepairResult(keys, rows, batches, cursor);
    }
}
