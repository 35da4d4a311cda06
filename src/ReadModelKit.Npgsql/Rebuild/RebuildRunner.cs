using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Diagnostics;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Runs or resumes a rebuild under its lease: the key-ordered backfill chunks, the tombstone carry-over, then the gate.</summary>
internal sealed class RebuildRunner(NpgsqlReadModelStore store, RebuildOptions options, RebuildRunStore runs, ILogger logger, RebuildTransactions transactions, VersionRetirement retirement, RebuildGate gate, OutboxReplay replay)
{
    /// <inheritdoc cref="RebuildOrchestrator.RunAsync"/>
    public async Task<RebuildRun> RunAsync(string projectionName, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var table = store.GetApplier(projectionName).Table;
        var run = await runs.GetActiveAsync(null, null, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false)
            ?? throw RebuildTransactions.NoActiveRun(projectionName, "run", await runs.GetLatestAsync(null, null, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false));
        if (run.State is RebuildRunState.Ready or RebuildRunState.CutOver)
        {
            return run;
        }

        var token = await runs.AcquireLeaseAsync(run.Id, options.NodeId, options.LeaseDuration, cancellationToken).ConfigureAwait(false)
            ?? throw new RebuildStateException(projectionName, "run", run.State, $"Rebuild run {run.Id} of projection '{projectionName}' is being run by node '{run.Owner}', whose lease has not expired. Wait for it; if that node is gone, its lease expires within {options.LeaseDuration.TotalSeconds:0} s and any node can then resume the run with RunAsync.");
        var lease = new RunLease(run.Id, options.NodeId, token, options.LeaseDuration);
        using var activity = ReadModelKitDiagnostics.StartActivity("rebuild", projectionName);
        try
        {
            var view = new StableView(table);
            var target = table.WithTable(view.PhysicalName(run.ToVersion));
            var state = run.Method == RebuildMethod.ReplayEvents
                ? await replay.RunAsync(run, lease, target, progress, cancellationToken).ConfigureAwait(false)
                : await BackfillAsync(run, lease, target, progress, cancellationToken).ConfigureAwait(false);
            if (state == RebuildRunState.CatchingUp)
            {
                // Live writes reached the new version all along, so no event needs replaying; deletes made before the rebuild started
                // are only in the serving version, so its tombstones are carried over (the gate then measures the lag).
                var carry = ChunkStatements.CarryTombstones(table.WithTable(view.PhysicalName(run.FromVersion)), table.WithTable(view.PhysicalName(run.ToVersion)));
                await transactions.InTransactionAsync(async (connection, transaction) =>
                {
                    using (var command = new NpgsqlCommand(carry, connection, transaction))
                    {
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return await runs.RecordStepAsync(connection, transaction, lease, RebuildRunState.CatchingUp, RebuildRunState.Validating, null, 0, cancellationToken).ConfigureAwait(false)
                        ? 0
                        : throw new RebuildLeaseLostException(projectionName, run.Id, lease.NodeId, lease.Token);
                }, cancellationToken).ConfigureAwait(false);
                state = RebuildRunState.Validating;
            }

            if (state == RebuildRunState.Validating)
            {
                var current = (await runs.GetAsync(run.Id, cancellationToken).ConfigureAwait(false))!;
                var report = await EvaluateGateAsync(current, lease, table, view, cancellationToken).ConfigureAwait(false);
                await transactions.InTransactionAsync(async (connection, transaction) =>
                {
                    if (!await runs.RecordGateAsync(connection, transaction, lease, report.Passed, report.ToString(), cancellationToken).ConfigureAwait(false))
                    {
                        throw new RebuildLeaseLostException(projectionName, run.Id, lease.NodeId, lease.Token);
                    }

                    return 0;
                }, cancellationToken).ConfigureAwait(false);
                if (report.Passed)
                {
                    var startedAt = current.BackfillStartedAt ?? current.CreatedAt;
                    ReadModelKitDiagnostics.RebuildDuration.Record((store.Time.GetUtcNow() - startedAt).TotalSeconds, ReadModelKitDiagnostics.Tag(projectionName));
                }
                else
                {
                    RebuildLog.GateFailed(logger, projectionName, run.Id, report.ToString());
                }
            }

            await runs.ReleaseLeaseAsync(lease, null, CancellationToken.None).ConfigureAwait(false);
            var final = (await runs.GetAsync(run.Id, CancellationToken.None).ConfigureAwait(false))!;
            RebuildLog.StateChanged(logger, projectionName, run.Id, final.State);
            return final;
        }
        catch (OperationCanceledException)
        {
            await runs.ReleaseLeaseAsync(lease, null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            var current = await runs.GetAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
            if (current is { IsActive: false })
            {
                return current;
            }

            ReadModelKitDiagnostics.RebuildFailures.Add(1, ReadModelKitDiagnostics.Tag(projectionName));
            RebuildLog.RunError(logger, projectionName, run.Id, ex);
            if (ex is PostgresException { SqlState: [ '4', '2', ..] or [ '2', '2', ..] } or OutboxPrunedForReplayException)
            {
                // The recompute query or the new table is wrong (a syntax or data error), or the events to replay are gone: retrying cannot help.
                await retirement.EndAsync(projectionName, "fail", run.Id, RebuildRunState.Failed, ex is PostgresException permanent ? permanent.Message : ex.Message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await runs.ReleaseLeaseAsync(lease, ex.Message, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Runs the gate while a heartbeat keeps the lease alive: its drift check and callback commit nothing and may outlast the lease.
    /// Stops with <see cref="RebuildLeaseLostException"/> as soon as the run turns out to be another node's.
    /// </summary>
    private async Task<RebuildGateReport> EvaluateGateAsync(RebuildRun run, RunLease lease, ReadModelTable table, StableView view, CancellationToken cancellationToken)
    {
        var heartbeat = new LeaseHeartbeat(runs, lease, store.Time, cancellationToken);
        await using (heartbeat.ConfigureAwait(false))
        {
            try
            {
                return await gate.EvaluateAsync(run, table, view, heartbeat.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (heartbeat.Lost && !cancellationToken.IsCancellationRequested)
            {
                throw new RebuildLeaseLostException(run.ProjectionName, run.Id, lease.NodeId, lease.Token);
            }
        }
    }

    private async Task<RebuildRunState> BackfillAsync(RebuildRun run, RunLease lease, ReadModelTable target, IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        var state = run.State;
        var cursor = run.LastKey?.ToArray();
        var done = run.RowsDone;
        long session = 0;
        var clock = Stopwatch.StartNew();
        var bulk = ChunkStatements.BulkBackfill(target);
        var guarded = ChunkStatements.Backfill(target);
        var tag = ReadModelKitDiagnostics.Tag(run.ProjectionName);
        while (state is RebuildRunState.Planned or RebuildRunState.Backfilling)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var expected = state;
            Task<(RebuildRunState Next, int Read, string[]? Last)> ChunkAsync(string sql) => transactions.InTransactionAsync(async (connection, transaction) =>
            {
                // A chunk and its progress commit together, so a chunk lost in a server crash is simply redone on resume: it need not
                // wait for its commit to be flushed (one flush per chunk would be a large share of a backfill on a real disk).
                var (_, read, last) = await transactions.ChunkAsync(connection, transaction, sql, cursor, DriftScope.All, cancellationToken, asynchronousCommit: true).ConfigureAwait(false);
                var next = read < options.ChunkSize ? RebuildRunState.CatchingUp : RebuildRunState.Backfilling;
                if (!await runs.RecordStepAsync(connection, transaction, lease, expected, next, last, read, cancellationToken).ConfigureAwait(false))
                {
                    throw new RebuildLeaseLostException(run.ProjectionName, run.Id, lease.NodeId, lease.Token);
                }

                return (next, read, last);
            }, cancellationToken);

            (RebuildRunState Next, int Read, string[]? Last) step;
            try
            {
                step = await ChunkAsync(bulk).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // A live event inserted a key of this chunk after the chunk read which keys the new version holds: the chunk rolled back,
                // and is redone with every row under the version guard, which keeps the newer write.
                RebuildLog.ChunkRedone(logger, run.ProjectionName, run.Id, cursor is null ? "(start)" : string.Join("/", cursor), e.ConstraintName);
                step = await ChunkAsync(guarded).ConfigureAwait(false);
            }

            var (next, read, last) = step;
            state = next;
            cursor = last ?? cursor;
            done += read;
            session += read;
            ReadModelKitDiagnostics.RebuildProgress.Add(read, tag);
            progress?.Report(RebuildTransactions.Progress(run.ProjectionName, state, done, run.EstimatedRows, clock.Elapsed, session));
            if (state == RebuildRunState.Backfilling)
            {
                await transactions.ThrottleAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return state;
    }
}
