using Microsoft.Extensions.Logging;
using Npgsql;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Switches which version the stable view serves (adopt, cutover, rollback), each in one short transaction under a lock timeout, retried with back-off and jitter.</summary>
internal sealed class VersionSwitcher(NpgsqlReadModelStore store, RebuildOptions options, RebuildRunStore runs, ILogger logger, RebuildTransactions transactions)
{
    /// <inheritdoc cref="RebuildOrchestrator.AdoptAsync"/>
    public async Task<ProjectionVersions> AdoptAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var table = store.GetApplier(projectionName).Table;
        var view = new StableView(table);
        await runs.EnsureVersionRowAsync(projectionName, cancellationToken).ConfigureAwait(false);
        return await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            var versions = await runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var kind = await view.KindAsync(connection, cancellationToken).ConfigureAwait(false);
            if (versions.Serving is not null && kind == 'v')
            {
                return versions;
            }

            if (versions.Serving is not null || kind != 'r')
            {
                throw new RebuildStateException(projectionName, "adopt", null, versions.Serving is not null
                    ? $"Projection '{projectionName}' is recorded as serving version {versions.Serving} through view {view.Display}, but {view.Display} is {(kind is null ? "missing" : "not a view")}. Recreate the view over {view.PhysicalName(versions.Serving.Value)} (CREATE VIEW {view.Display} AS SELECT * FROM {view.PhysicalName(versions.Serving.Value)}) or restore the table."
                    : $"Projection '{projectionName}' cannot be adopted: {view.Display} is {(kind is null ? "missing" : "not a plain table")}. Adoption renames the plain read-model table to {view.PhysicalName(1)} and puts a view in its place; create the table, or fix Table in the mapping.");
            }

            await view.AdoptAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await runs.SetVersionsAsync(connection, transaction, projectionName, 1, [1], cancellationToken).ConfigureAwait(false);
            RebuildLog.Adopted(logger, projectionName);
            return await runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="RebuildOrchestrator.CutoverAsync"/>
    public async Task<RebuildRun> CutoverAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var view = new StableView(store.GetApplier(projectionName).Table);
        var run = await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            var versions = await runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var run = await runs.GetActiveAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false)
                ?? throw RebuildTransactions.NoActiveRun(projectionName, "cutover", await runs.GetLatestAsync(connection, transaction, projectionName, false, cancellationToken).ConfigureAwait(false));
            if (run.State != RebuildRunState.Ready)
            {
                throw new RebuildStateException(projectionName, "cutover", run.State, run.State switch
                {
                    RebuildRunState.CutOver => $"Rebuild run {run.Id} of projection '{projectionName}' is already cut over: the view serves v{run.ToVersion}. Retire v{run.FromVersion} with RetireAsync, or go back with RollbackAsync.",
                    RebuildRunState.Validating when run.GatePassed == false => $"Cutover of projection '{projectionName}' refused: the gate of rebuild run {run.Id} failed. {run.GateReport} Fix the cause and run RunAsync again to re-validate.",
                    _ => $"Cutover of projection '{projectionName}' refused: rebuild run {run.Id} is {run.State} and the gate has not passed yet. Run RunAsync until it returns Ready, then cut over.",
                });
            }

            var problems = await view.ShapeProblemsAsync(connection, run.ToVersion, allowMissing: false, cancellationToken).ConfigureAwait(false);
            if (problems.Count > 0)
            {
                throw new IncompatibleViewShapeException(projectionName, view.Display, problems);
            }

            await runs.SetVersionsAsync(connection, transaction, projectionName, run.ToVersion, [.. versions.Fed], cancellationToken).ConfigureAwait(false);
            await view.RepointAsync(connection, transaction, run.ToVersion, cancellationToken).ConfigureAwait(false);
            return await runs.SetStateAsync(connection, transaction, run.Id, RebuildRunState.CutOver, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(logger, projectionName, run.Id, run.State);
        return run;
    }

    /// <inheritdoc cref="RebuildOrchestrator.RollbackAsync"/>
    public async Task<RebuildRun> RollbackAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var view = new StableView(store.GetApplier(projectionName).Table);
        var run = await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            await runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var run = await runs.GetLatestAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false);
            if (run?.State != RebuildRunState.CutOver)
            {
                throw new RebuildStateException(projectionName, "rollback", run?.State, run?.State switch
                {
                    null => $"Projection '{projectionName}' has never been rebuilt: there is no earlier version to roll back to.",
                    RebuildRunState.Retired => $"Rollback of projection '{projectionName}' refused: v{run.FromVersion} was retired at {run.FinishedAt:u} and no longer receives writes, so it is out of date. To go back, rebuild again (StartAsync) into a new version and cut over to it.",
                    RebuildRunState.RolledBack => $"Rebuild run {run.Id} of projection '{projectionName}' is already rolled back: the view serves v{run.FromVersion}.",
                    { } s when run.IsActive => $"Rollback of projection '{projectionName}' refused: rebuild run {run.Id} is {s} and the view still serves v{run.FromVersion}, so there is nothing to roll back. Stop the rebuild with CancelAsync.",
                    { } s => $"Rollback of projection '{projectionName}' refused: its last rebuild run {run.Id} is {s}; the view serves v{run.FromVersion} already.",
                });
            }

            await runs.SetVersionsAsync(connection, transaction, projectionName, run.FromVersion, [run.FromVersion], cancellationToken).ConfigureAwait(false);
            await view.RepointAsync(connection, transaction, run.FromVersion, cancellationToken).ConfigureAwait(false);
            if (!options.KeepTables)
            {
                await view.DropAsync(connection, transaction, run.ToVersion, cancellationToken).ConfigureAwait(false);
            }

            return await runs.SetStateAsync(connection, transaction, run.Id, RebuildRunState.RolledBack, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(logger, projectionName, run.Id, run.State);
        return run;
    }

    /// <summary>Runs a view switch in one transaction under <see cref="RebuildOptions.SwitchLockTimeout"/>, retried with back-off and jitter while locks time out.</summary>
    public async Task<T> SwitchAsync<T>(string projectionName, StableView view, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transactions.InTransactionAsync(async (connection, transaction) =>
                {
                    using (var timeout = new NpgsqlCommand($"SET LOCAL lock_timeout = {(long)Math.Ceiling(options.SwitchLockTimeout.TotalMilliseconds)}", connection, transaction))
                    {
                        await timeout.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return await body(connection, transaction).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
            {
                if (attempt >= options.SwitchAttempts)
                {
                    throw new CutoverTimeoutException(projectionName, view.Display, attempt, options.SwitchLockTimeout, e);
                }

                var delay = options.SwitchBackoff * Math.Pow(2, attempt - 1) * (1 + (Random.Shared.NextDouble() / 2));
                RebuildLog.SwitchRetry(logger, projectionName, attempt, delay.TotalMilliseconds);
                await Task.Delay(delay, store.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
