using Microsoft.Extensions.Logging;
using Npgsql;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Stops feeding a version and drops its table: the old one after the grace period (retire), the new one before its cutover (cancel, fail).</summary>
internal sealed class VersionRetirement(NpgsqlReadModelStore store, RebuildOptions options, RebuildRunStore runs, ILogger logger, VersionSwitcher switcher)
{
    /// <inheritdoc cref="RebuildOrchestrator.RetireAsync"/>
    public async Task<RebuildRun> RetireAsync(string projectionName, bool force = false, CancellationToken cancellationToken = default)
    {
        var view = new StableView(store.GetApplier(projectionName).Table);
        var run = await switcher.SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            await runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var run = await runs.GetLatestAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false);
            if (run?.State != RebuildRunState.CutOver)
            {
                throw new RebuildStateException(projectionName, "retire", run?.State, run?.State == RebuildRunState.Retired
                    ? $"Rebuild run {run.Id} of projection '{projectionName}' is already retired: v{run.ToVersion} serves alone."
                    : $"Retire of projection '{projectionName}' refused: retiring follows a cutover, and {(run is null ? "it has never been rebuilt" : $"its last rebuild run {run.Id} is {run.State}")}. Cut over first (CutoverAsync).");
            }

            var graceEnds = run.CutOverAt!.Value + options.GracePeriod;
            if (!force && store.Time.GetUtcNow() < graceEnds)
            {
                throw new RebuildStateException(projectionName, "retire", run.State, $"Retire of projection '{projectionName}' refused: the grace period after the cutover ends at {graceEnds:u}; until then v{run.FromVersion} keeps receiving writes so a rollback is instant. Retire after that, or pass force: true.");
            }

            await runs.SetVersionsAsync(connection, transaction, projectionName, run.ToVersion, [run.ToVersion], cancellationToken).ConfigureAwait(false);
            if (!options.KeepTables)
            {
                await view.DropAsync(connection, transaction, run.FromVersion, cancellationToken).ConfigureAwait(false);
            }

            return await runs.SetStateAsync(connection, transaction, run.Id, RebuildRunState.Retired, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(logger, projectionName, run.Id, run.State);
        return run;
    }

    /// <inheritdoc cref="RebuildOrchestrator.CancelAsync"/>
    public async Task<RebuildRun> CancelAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        store.GetApplier(projectionName);
        var run = await runs.GetActiveAsync(null, null, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false)
            ?? throw RebuildTransactions.NoActiveRun(projectionName, "cancel", await runs.GetLatestAsync(null, null, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false));
        return await EndAsync(projectionName, "cancel", run.Id, RebuildRunState.Cancelled, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends an active run before its cutover (cancel, fail): stops feeding the new version and drops its table unless kept.</summary>
    public async Task<RebuildRun> EndAsync(string projectionName, string operation, long runId, RebuildRunState end, string? error, CancellationToken cancellationToken)
    {
        var view = new StableView(store.GetApplier(projectionName).Table);
        var run = await switcher.SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            // Lock order: version row (pauses apply batches), the new table (waits for a chunk in flight), then the run row.
            var versions = await runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var found = (await runs.GetAsync(runId, cancellationToken).ConfigureAwait(false))!;
            using (var lockTable = new NpgsqlCommand($"LOCK TABLE {view.Physical(found.ToVersion)} IN ACCESS EXCLUSIVE MODE", connection, transaction))
            {
                try
                {
                    await lockTable.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    throw new RebuildStateException(projectionName, operation, found.State, $"The table of v{found.ToVersion} of projection '{projectionName}' ({view.PhysicalName(found.ToVersion)}) is missing. Recreate it empty (CREATE TABLE {view.PhysicalName(found.ToVersion)} (LIKE {view.PhysicalName(found.FromVersion)} INCLUDING ALL)) and cancel again.");
                }
            }

            var run = await runs.GetActiveAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false);
            if (run is null || run.Id != runId || run.State == RebuildRunState.CutOver)
            {
                throw new RebuildStateException(projectionName, operation, run?.State ?? found.State, run?.State == RebuildRunState.CutOver
                    ? $"Cancel of projection '{projectionName}' refused: rebuild run {run.Id} is already cut over and the view serves v{run.ToVersion}. Go back with RollbackAsync, or keep it with RetireAsync."
                    : $"Rebuild run {runId} of projection '{projectionName}' is no longer active (it is {(run ?? found).State}): there is nothing to {operation}.");
            }

            await runs.SetVersionsAsync(connection, transaction, projectionName, run.FromVersion, versions.Fed.Where(v => v != run.ToVersion).ToList(), cancellationToken).ConfigureAwait(false);
            if (!options.KeepTables)
            {
                await view.DropAsync(connection, transaction, run.ToVersion, cancellationToken).ConfigureAwait(false);
            }

            return await runs.SetStateAsync(connection, transaction, run.Id, end, error, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(logger, projectionName, run.Id, run.State);
        return run;
    }
}
