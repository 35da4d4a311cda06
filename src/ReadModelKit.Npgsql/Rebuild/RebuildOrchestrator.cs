using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Contracts;
using ReadModelKit.Diagnostics;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Rebuilds a projection into a new version of its table beside the serving one while writes keep flowing, validates it, switches the
/// stable view readers query inside PostgreSQL, rolls back, retires the old version, and repairs keys in place. Every step is a short
/// transaction recorded in the <c>rebuild_run</c> table, so any node can resume a run after a crash; one node at a time owns a run
/// (lease and fencing token). Thread-safe.
/// </summary>
public sealed class RebuildOrchestrator
{
    private readonly NpgsqlReadModelStore _store;
    private readonly RebuildOptions _options;
    private readonly RebuildRunStore _runs;
    private readonly RebuildGate _gate;
    private readonly OutboxReplay _replay;
    private readonly ILogger _logger;

    internal RebuildOrchestrator(NpgsqlReadModelStore store, RebuildOptions options)
    {
        _store = store;
        _options = options;
        _runs = new RebuildRunStore(store.DataSource, store.SchemaIdentifier);
        _gate = new RebuildGate(store, options);
        _replay = new OutboxReplay(store, options, _runs);
        _logger = store.Loggers.CreateLogger("ReadModelKit.Npgsql.Rebuild");
    }

    /// <summary>Which version serves and which versions receive live writes.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<ProjectionVersions> GetVersionsAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        _store.GetApplier(projectionName);
        return _runs.ReadVersionsAsync(projectionName, cancellationToken);
    }

    /// <summary>The projection's most recent rebuild run (active or finished), or null when it never had one.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<RebuildRun?> GetRunAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        _store.GetApplier(projectionName);
        return _runs.GetLatestAsync(null, null, projectionName, forUpdate: false, cancellationToken);
    }

    /// <summary>
    /// Puts the projection's plain table behind a stable view once: in one short transaction the table is renamed to
    /// <c>&lt;table&gt;_v1</c> and a view with its columns takes its name, so readers (prepared statements included) keep querying the
    /// same name. Apply batches pause for that transaction; readers wait at most <see cref="RebuildOptions.SwitchLockTimeout"/> per
    /// attempt. A no-op when the projection is already served by its view.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">The mapped name is neither the projection's table nor its view.</exception>
    /// <exception cref="CutoverTimeoutException">The table stayed locked by long-running queries on every attempt.</exception>
    public async Task<ProjectionVersions> AdoptAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var table = _store.GetApplier(projectionName).Table;
        var view = new StableView(table);
        await _runs.EnsureVersionRowAsync(projectionName, cancellationToken).ConfigureAwait(false);
        return await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            var versions = await _runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
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
            await _runs.SetVersionsAsync(connection, transaction, projectionName, 1, [1], cancellationToken).ConfigureAwait(false);
            RebuildLog.Adopted(_logger, projectionName);
            return await _runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Plans a rebuild: checks the contract's method and the commute rule, adopts the table if needed, creates the next version's table
    /// (like the serving one, or from <paramref name="newTableSql"/>) and starts feeding it live writes on every node, all before any row
    /// is backfilled. Then call <see cref="RunAsync"/>.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="newTableSql">
    /// Optional DDL creating the new version's table, with <c>{0}</c> for its schema-qualified name (for example to append a column);
    /// it needs the mapped columns and a unique index on the key. Null: a copy of the serving table's columns, defaults, constraints and indexes.
    /// </param>
    /// <param name="cancellationToken">Cancels planning (nothing is kept).</param>
    /// <exception cref="RebuildMethodNotSupportedException">The contract's rebuild method is not backfill from canonical tables.</exception>
    /// <exception cref="RecomputeQueryCannotBackfillException">The recompute query breaks the commute rule or does not run.</exception>
    /// <exception cref="RebuildAlreadyRunningException">Another run of the projection has not finished.</exception>
    /// <exception cref="IncompatibleViewShapeException">The new table would change existing view columns.</exception>
    /// <exception cref="ReadModelMappingException">The new table does not fit the mapping.</exception>
    public async Task<RebuildRun> StartAsync(string projectionName, string? newTableSql = null, CancellationToken cancellationToken = default)
    {
        var applier = _store.GetApplier(projectionName);
        var table = applier.Table;
        CheckMethod(applier.Contract);
        var replay = applier.Contract.Rebuild == RebuildMethod.ReplayEvents;
        if (!replay)
        {
            CheckCommuteRule(table);
        }

        var estimate = replay
            ? await _replay.PlanAsync(applier, cancellationToken).ConfigureAwait(false)
            : await ProbeRecomputeQueryAsync(table, cancellationToken).ConfigureAwait(false);
        await AdoptAsync(projectionName, cancellationToken).ConfigureAwait(false);
        var view = new StableView(table);
        var run = await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            if (await _runs.GetActiveAsync(connection, transaction, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false) is { } active)
            {
                throw new RebuildAlreadyRunningException(projectionName, active);
            }

            var versions = await _runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var from = versions.Serving!.Value;
            var to = Math.Max(await _runs.HighestVersionAsync(connection, transaction, projectionName, cancellationToken).ConfigureAwait(false), from) + 1;
            var ddl = newTableSql is null
                ? $"CREATE TABLE {view.Physical(to)} (LIKE {view.Physical(from)} INCLUDING ALL)"
                : string.Format(CultureInfo.InvariantCulture, newTableSql, view.Physical(to));
            using (var create = new NpgsqlCommand(ddl, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await ReadModelTableInspector.InspectAsync(connection, projectionName, table.Mapping with { Schema = table.Schema, Table = view.PhysicalName(to) }, cancellationToken).ConfigureAwait(false);
            var problems = await view.ShapeProblemsAsync(connection, to, allowMissing: false, cancellationToken).ConfigureAwait(false);
            if (problems.Count > 0)
            {
                throw new IncompatibleViewShapeException(projectionName, view.Display, problems);
            }

            var planned = await _runs.InsertPlannedAsync(connection, transaction, projectionName, from, to, applier.Contract.Rebuild, estimate, cancellationToken).ConfigureAwait(false)
                ?? throw new RebuildAlreadyRunningException(projectionName, (await _runs.GetActiveAsync(null, null, projectionName, false, cancellationToken).ConfigureAwait(false))!);
            await _runs.SetVersionsAsync(connection, transaction, projectionName, from, [.. versions.Fed, to], cancellationToken).ConfigureAwait(false);
            return planned;
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.Planned(_logger, projectionName, run.Id, run.FromVersion, run.ToVersion, run.EstimatedRows);
        return run;
    }

    /// <summary>
    /// Runs (or resumes, on any node) the projection's active rebuild up to the gate: backfills the remaining key-ordered chunks, each in
    /// its own transaction under the version guard, then validates. Returns the run: <see cref="RebuildRunState.Ready"/> when the gate
    /// passed, <see cref="RebuildRunState.Validating"/> with <see cref="RebuildRun.GateReport"/> saying why when it failed (fix the cause and
    /// call again), or the state it ended in when it was cancelled meanwhile. Cancelling <paramref name="cancellationToken"/> stops this node
    /// after the current chunk and leaves the run resumable.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="progress">Receives rows done, estimated total, rate and time left after every chunk.</param>
    /// <param name="cancellationToken">Stops this node's work (the run stays resumable).</param>
    /// <exception cref="RebuildStateException">There is no active run, or another node holds its lease.</exception>
    /// <exception cref="RebuildLeaseLostException">Another node took the run over; this node's chunk was rolled back.</exception>
    public async Task<RebuildRun> RunAsync(string projectionName, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var table = _store.GetApplier(projectionName).Table;
        var run = await _runs.GetActiveAsync(null, null, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false)
            ?? throw NoActiveRun(projectionName, "run", await GetRunAsync(projectionName, cancellationToken).ConfigureAwait(false));
        if (run.State is RebuildRunState.Ready or RebuildRunState.CutOver)
        {
            return run;
        }

        var token = await _runs.AcquireLeaseAsync(run.Id, _options.NodeId, _options.LeaseDuration, cancellationToken).ConfigureAwait(false)
            ?? throw new RebuildStateException(projectionName, "run", run.State, $"Rebuild run {run.Id} of projection '{projectionName}' is being run by node '{run.Owner}', whose lease has not expired. Wait for it; if that node is gone, its lease expires within {_options.LeaseDuration.TotalSeconds:0} s and any node can then resume the run with RunAsync.");
        var lease = new RunLease(run.Id, _options.NodeId, token, _options.LeaseDuration);
        using var activity = ReadModelKitDiagnostics.StartActivity("rebuild", projectionName);
        try
        {
            var view = new StableView(table);
            var target = table.WithTable(view.PhysicalName(run.ToVersion));
            var state = run.Method == RebuildMethod.ReplayEvents
                ? await _replay.RunAsync(run, lease, target, progress, cancellationToken).ConfigureAwait(false)
                : await BackfillAsync(run, lease, target, progress, cancellationToken).ConfigureAwait(false);
            if (state == RebuildRunState.CatchingUp)
            {
                // Live writes reached the new version all along, so no event needs replaying; deletes made before the rebuild started
                // are only in the serving version, so its tombstones are carried over (the gate then measures the lag).
                var carry = ChunkStatements.CarryTombstones(table.WithTable(view.PhysicalName(run.FromVersion)), table.WithTable(view.PhysicalName(run.ToVersion)));
                await InTransactionAsync(async (connection, transaction) =>
                {
                    using (var command = new NpgsqlCommand(carry, connection, transaction))
                    {
                        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return await _runs.RecordStepAsync(connection, transaction, lease, RebuildRunState.CatchingUp, RebuildRunState.Validating, null, 0, cancellationToken).ConfigureAwait(false)
                        ? 0
                        : throw new RebuildLeaseLostException(projectionName, run.Id, lease.NodeId, lease.Token);
                }, cancellationToken).ConfigureAwait(false);
                state = RebuildRunState.Validating;
            }

            if (state == RebuildRunState.Validating)
            {
                var current = (await _runs.GetAsync(run.Id, cancellationToken).ConfigureAwait(false))!;
                var report = await _gate.EvaluateAsync(current, table, view, cancellationToken).ConfigureAwait(false);
                await InTransactionAsync(async (connection, transaction) =>
                {
                    if (!await _runs.RecordGateAsync(connection, transaction, lease, report.Passed, report.ToString(), cancellationToken).ConfigureAwait(false))
                    {
                        throw new RebuildLeaseLostException(projectionName, run.Id, lease.NodeId, lease.Token);
                    }

                    return 0;
                }, cancellationToken).ConfigureAwait(false);
                if (report.Passed)
                {
                    var startedAt = current.BackfillStartedAt ?? current.CreatedAt;
                    ReadModelKitDiagnostics.RebuildDuration.Record((_store.Time.GetUtcNow() - startedAt).TotalSeconds, ReadModelKitDiagnostics.Tag(projectionName));
                }
                else
                {
                    RebuildLog.GateFailed(_logger, projectionName, run.Id, report.ToString());
                }
            }

            await _runs.ReleaseLeaseAsync(lease, null, CancellationToken.None).ConfigureAwait(false);
            var final = (await _runs.GetAsync(run.Id, CancellationToken.None).ConfigureAwait(false))!;
            RebuildLog.StateChanged(_logger, projectionName, run.Id, final.State);
            return final;
        }
        catch (OperationCanceledException)
        {
            await _runs.ReleaseLeaseAsync(lease, null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            var current = await _runs.GetAsync(run.Id, CancellationToken.None).ConfigureAwait(false);
            if (current is { IsActive: false })
            {
                return current;
            }

            ReadModelKitDiagnostics.RebuildFailures.Add(1, ReadModelKitDiagnostics.Tag(projectionName));
            RebuildLog.RunError(_logger, projectionName, run.Id, ex);
            if (ex is PostgresException { SqlState: [ '4', '2', ..] or [ '2', '2', ..] } or OutboxPrunedForReplayException)
            {
                // The recompute query or the new table is wrong (a syntax or data error), or the events to replay are gone: retrying cannot help.
                await EndAsync(projectionName, "fail", run.Id, RebuildRunState.Failed, ex is PostgresException permanent ? permanent.Message : ex.Message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await _runs.ReleaseLeaseAsync(lease, ex.Message, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Switches the stable view to the new version in one short transaction (<c>CREATE OR REPLACE VIEW</c> under a lock timeout, retried with
    /// back-off and jitter). The old version keeps receiving live writes, so <see cref="RollbackAsync"/> is instant until <see cref="RetireAsync"/>.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">No run is ready: none exists, or the gate has not passed.</exception>
    /// <exception cref="IncompatibleViewShapeException">The new version would change existing view columns.</exception>
    /// <exception cref="CutoverTimeoutException">The view stayed locked on every attempt; nothing was switched.</exception>
    public async Task<RebuildRun> CutoverAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var view = new StableView(_store.GetApplier(projectionName).Table);
        var run = await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            var versions = await _runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var run = await _runs.GetActiveAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false)
                ?? throw NoActiveRun(projectionName, "cutover", await _runs.GetLatestAsync(connection, transaction, projectionName, false, cancellationToken).ConfigureAwait(false));
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

            await _runs.SetVersionsAsync(connection, transaction, projectionName, run.ToVersion, [.. versions.Fed], cancellationToken).ConfigureAwait(false);
            await view.RepointAsync(connection, transaction, run.ToVersion, cancellationToken).ConfigureAwait(false);
            return await _runs.SetStateAsync(connection, transaction, run.Id, RebuildRunState.CutOver, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(_logger, projectionName, run.Id, run.State);
        return run;
    }

    /// <summary>
    /// Points the stable view back at the old version after a cutover, by the same short transaction; the old version received every live
    /// write meanwhile, so it is correct at once. The new version stops receiving writes and its table is dropped (unless
    /// <see cref="RebuildOptions.KeepTables"/>). Columns the new version appended stay in the view and read as NULL.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">Nothing to roll back: no cutover happened, or the old version was retired.</exception>
    /// <exception cref="CutoverTimeoutException">The view stayed locked on every attempt; nothing was switched.</exception>
    public async Task<RebuildRun> RollbackAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var view = new StableView(_store.GetApplier(projectionName).Table);
        var run = await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            await _runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var run = await _runs.GetLatestAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false);
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

            await _runs.SetVersionsAsync(connection, transaction, projectionName, run.FromVersion, [run.FromVersion], cancellationToken).ConfigureAwait(false);
            await view.RepointAsync(connection, transaction, run.FromVersion, cancellationToken).ConfigureAwait(false);
            if (!_options.KeepTables)
            {
                await view.DropAsync(connection, transaction, run.ToVersion, cancellationToken).ConfigureAwait(false);
            }

            return await _runs.SetStateAsync(connection, transaction, run.Id, RebuildRunState.RolledBack, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(_logger, projectionName, run.Id, run.State);
        return run;
    }

    /// <summary>
    /// Ends the grace period after a cutover: the old version stops receiving writes and its table is dropped (unless
    /// <see cref="RebuildOptions.KeepTables"/>). After this, rollback is refused.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="force">Retire before <see cref="RebuildOptions.GracePeriod"/> has passed since the cutover.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">No cutover to retire after, or the grace period is not over and <paramref name="force"/> is false.</exception>
    public async Task<RebuildRun> RetireAsync(string projectionName, bool force = false, CancellationToken cancellationToken = default)
    {
        var view = new StableView(_store.GetApplier(projectionName).Table);
        var run = await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            await _runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var run = await _runs.GetLatestAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false);
            if (run?.State != RebuildRunState.CutOver)
            {
                throw new RebuildStateException(projectionName, "retire", run?.State, run?.State == RebuildRunState.Retired
                    ? $"Rebuild run {run.Id} of projection '{projectionName}' is already retired: v{run.ToVersion} serves alone."
                    : $"Retire of projection '{projectionName}' refused: retiring follows a cutover, and {(run is null ? "it has never been rebuilt" : $"its last rebuild run {run.Id} is {run.State}")}. Cut over first (CutoverAsync).");
            }

            var graceEnds = run.CutOverAt!.Value + _options.GracePeriod;
            if (!force && _store.Time.GetUtcNow() < graceEnds)
            {
                throw new RebuildStateException(projectionName, "retire", run.State, $"Retire of projection '{projectionName}' refused: the grace period after the cutover ends at {graceEnds:u}; until then v{run.FromVersion} keeps receiving writes so a rollback is instant. Retire after that, or pass force: true.");
            }

            await _runs.SetVersionsAsync(connection, transaction, projectionName, run.ToVersion, [run.ToVersion], cancellationToken).ConfigureAwait(false);
            if (!_options.KeepTables)
            {
                await view.DropAsync(connection, transaction, run.FromVersion, cancellationToken).ConfigureAwait(false);
            }

            return await _runs.SetStateAsync(connection, transaction, run.Id, RebuildRunState.Retired, null, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(_logger, projectionName, run.Id, run.State);
        return run;
    }

    /// <summary>
    /// Cancels the active run before its cutover: the new version stops receiving writes and its table is dropped (unless
    /// <see cref="RebuildOptions.KeepTables"/>); a node running it stops after its current chunk, which is rolled back.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">There is no active run, or it is already cut over (roll back or retire instead).</exception>
    public async Task<RebuildRun> CancelAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        _store.GetApplier(projectionName);
        var run = await _runs.GetActiveAsync(null, null, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false)
            ?? throw NoActiveRun(projectionName, "cancel", await GetRunAsync(projectionName, cancellationToken).ConfigureAwait(false));
        return await EndAsync(projectionName, "cancel", run.Id, RebuildRunState.Cancelled, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Recomputes one key, a key range or one tenant from the source into the serving version while it serves, in bounded batches (one
    /// transaction each, <see cref="RebuildOptions.ChunkSize"/> keys), under the version guard: a newer live write is never overwritten and a
    /// versioned tombstone never resurrected; keys the source no longer returns are tombstoned.
    /// </summary>
    /// <param name="projectionName">The projection; its mapping needs a RecomputeSql returning the version.</param>
    /// <param name="scope">Which keys: <see cref="DriftScope.All"/>, <see cref="DriftScope.Tenant"/>, <see cref="DriftScope.Range"/>, or one entity as a full-key prefix (<c>new DriftScope { KeyPrefix = [.. key] }</c>).</param>
    /// <param name="resumeAfter">The <see cref="RepairResult.LastKey"/> of an interrupted repair of the same scope, or null to start at the beginning.</param>
    /// <param name="progress">Receives progress after every batch.</param>
    /// <param name="cancellationToken">Stops between batches (finished batches stay repaired).</param>
    /// <exception cref="RecomputeQueryCannotBackfillException">The mapping has no recompute query returning the source version.</exception>
    /// <exception cref="ArgumentException">The scope does not fit the key columns.</exception>
    public async Task<RepairResult> RepairAsync(string projectionName, DriftScope scope, IReadOnlyList<string>? resumeAfter = null, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var table = _store.GetApplier(projectionName).Table;
        CheckCommuteRule(table);
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
            var (written, read, last) = await InTransactionAsync((connection, transaction) => ChunkAsync(connection, transaction, sql, cursor, scope, cancellationToken), cancellationToken).ConfigureAwait(false);
            batches++;
            keys += read;
            rows += written;
            cursor = last ?? cursor;
            progress?.Report(Progress(projectionName, RebuildRunState.Backfilling, keys, null, clock.Elapsed, keys));
            if (read < _options.ChunkSize)
            {
                break;
            }

            await ThrottleAsync(cancellationToken).ConfigureAwait(false);
        }

        RebuildLog.Repaired(_logger, projectionName, scope.ToString(), keys, rows, batches);
        return new RepairResult(keys, rows, batches, cursor);
    }

    private async Task<RebuildRunState> BackfillAsync(RebuildRun run, RunLease lease, ReadModelTable target, IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        var state = run.State;
        var cursor = run.LastKey?.ToArray();
        var done = run.RowsDone;
        long session = 0;
        var clock = Stopwatch.StartNew();
        var sql = ChunkStatements.Backfill(target);
        var tag = ReadModelKitDiagnostics.Tag(run.ProjectionName);
        while (state is RebuildRunState.Planned or RebuildRunState.Backfilling)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var expected = state;
            var (next, read, last) = await InTransactionAsync(async (connection, transaction) =>
            {
                var (_, read, last) = await ChunkAsync(connection, transaction, sql, cursor, DriftScope.All, cancellationToken).ConfigureAwait(false);
                var next = read < _options.ChunkSize ? RebuildRunState.CatchingUp : RebuildRunState.Backfilling;
                if (!await _runs.RecordStepAsync(connection, transaction, lease, expected, next, last, read, cancellationToken).ConfigureAwait(false))
                {
                    throw new RebuildLeaseLostException(run.ProjectionName, run.Id, lease.NodeId, lease.Token);
                }

                return (next, read, last);
            }, cancellationToken).ConfigureAwait(false);
            state = next;
            cursor = last ?? cursor;
            done += read;
            session += read;
            ReadModelKitDiagnostics.RebuildProgress.Add(read, tag);
            progress?.Report(Progress(run.ProjectionName, state, done, run.EstimatedRows, clock.Elapsed, session));
            if (state == RebuildRunState.Backfilling)
            {
                await ThrottleAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return state;
    }

    private async Task<(int Written, int Read, string[]? Last)> ChunkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string[]? cursor, DriftScope scope, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = _store.Time.GetUtcNow().UtcDateTime });
        command.Parameters.Add(TextArray(cursor));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _options.ChunkSize });
        command.Parameters.Add(TextArray(scope.KeyPrefix.Count > 0 ? KeyCursor.ToText(scope.KeyPrefix) : null));
        command.Parameters.Add(TextArray(scope.From is null ? null : KeyCursor.ToText(scope.From)));
        command.Parameters.Add(TextArray(scope.To is null ? null : KeyCursor.ToText(scope.To)));
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt32(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<string[]>(2));
    }

    /// <summary>Ends an active run before its cutover (cancel, fail): stops feeding the new version and drops its table unless kept.</summary>
    private async Task<RebuildRun> EndAsync(string projectionName, string operation, long runId, RebuildRunState end, string? error, CancellationToken cancellationToken)
    {
        var view = new StableView(_store.GetApplier(projectionName).Table);
        var run = await SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            // Lock order: version row (pauses apply batches), the new table (waits for a chunk in flight), then the run row.
            var versions = await _runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var found = (await _runs.GetAsync(runId, cancellationToken).ConfigureAwait(false))!;
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

            var run = await _runs.GetActiveAsync(connection, transaction, projectionName, forUpdate: true, cancellationToken).ConfigureAwait(false);
            if (run is null || run.Id != runId || run.State == RebuildRunState.CutOver)
            {
                throw new RebuildStateException(projectionName, operation, run?.State ?? found.State, run?.State == RebuildRunState.CutOver
                    ? $"Cancel of projection '{projectionName}' refused: rebuild run {run.Id} is already cut over and the view serves v{run.ToVersion}. Go back with RollbackAsync, or keep it with RetireAsync."
                    : $"Rebuild run {runId} of projection '{projectionName}' is no longer active (it is {(run ?? found).State}): there is nothing to {operation}.");
            }

            await _runs.SetVersionsAsync(connection, transaction, projectionName, run.FromVersion, versions.Fed.Where(v => v != run.ToVersion).ToList(), cancellationToken).ConfigureAwait(false);
            await _replay.ForgetAsync(connection, transaction, run, cancellationToken).ConfigureAwait(false);
            if (!_options.KeepTables)
            {
                await view.DropAsync(connection, transaction, run.ToVersion, cancellationToken).ConfigureAwait(false);
            }

            return await _runs.SetStateAsync(connection, transaction, run.Id, end, error, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.StateChanged(_logger, projectionName, run.Id, run.State);
        return run;
    }

    /// <summary>Runs a view switch in one transaction under <see cref="RebuildOptions.SwitchLockTimeout"/>, retried with back-off and jitter while locks time out.</summary>
    private async Task<T> SwitchAsync<T>(string projectionName, StableView view, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await InTransactionAsync(async (connection, transaction) =>
                {
                    using (var timeout = new NpgsqlCommand($"SET LOCAL lock_timeout = {(long)Math.Ceiling(_options.SwitchLockTimeout.TotalMilliseconds)}", connection, transaction))
                    {
                        await timeout.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return await body(connection, transaction).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
            {
                if (attempt >= _options.SwitchAttempts)
                {
                    throw new CutoverTimeoutException(projectionName, view.Display, attempt, _options.SwitchLockTimeout, e);
                }

                var delay = _options.SwitchBackoff * Math.Pow(2, attempt - 1) * (1 + (Random.Shared.NextDouble() / 2));
                RebuildLog.SwitchRetry(_logger, projectionName, attempt, delay.TotalMilliseconds);
                await Task.Delay(delay, _store.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> body, CancellationToken cancellationToken)
    {
        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var result = await body(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private Task ThrottleAsync(CancellationToken cancellationToken) =>
        _options.ThrottleDelay > TimeSpan.Zero ? Task.Delay(_options.ThrottleDelay, _store.Time, cancellationToken) : Task.CompletedTask;

    private static RebuildProgress Progress(string projectionName, RebuildRunState state, long done, long? total, TimeSpan elapsed, long sessionRows)
    {
        var rate = elapsed.TotalSeconds > 0 ? sessionRows / elapsed.TotalSeconds : 0;
        TimeSpan? remaining = total is { } t && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, t - done) / rate) : null;
        return new RebuildProgress(projectionName, state, done, total, rate, remaining);
    }

    private static NpgsqlParameter TextArray(string[]? values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)values ?? DBNull.Value };

    private static RebuildStateException NoActiveRun(string projectionName, string operation, RebuildRun? latest) =>
        new(projectionName, operation, latest?.State, latest is null
            ? $"Projection '{projectionName}' has no rebuild to {operation}: start one with StartAsync."
            : $"Projection '{projectionName}' has no active rebuild to {operation}: its last run {latest.Id} is {latest.State}. Start a new one with StartAsync.");

    private static void CheckMethod(ProjectionContract contract)
    {
        if (contract.Rebuild is not (RebuildMethod.BackfillFromCanonicalTables or RebuildMethod.ReplayEvents))
        {
            throw new RebuildMethodNotSupportedException(contract.Name, contract.Rebuild);
        }
    }

    /// <summary>
    /// The commute rule: a backfilled row and a live event must give the same result in either order. That holds when every row carries
    /// the source's version (the guard keeps the newer) and deletes are versioned tombstones (a late chunk cannot resurrect them).
    /// </summary>
    private static void CheckCommuteRule(ReadModelTable table)
    {
        var mapping = table.Mapping;
        if (mapping.RecomputeSql is null)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, "the mapping has no RecomputeSql. Declare the query that returns, for every key, the row the read model should hold (key, value and version columns under the read-model names).");
        }

        if (!mapping.RecomputeReturnsVersion)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, $"its RecomputeSql does not return the source's version (RecomputeReturnsVersion is false), so a chunk read before a live event commits could overwrite that event. Return the source row's version as column '{mapping.VersionColumn}' and set RecomputeReturnsVersion = true.");
        }

        if (mapping.TombstoneColumn is null)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, "the mapping has no TombstoneColumn, so a delete leaves no versioned trace and a chunk read before the delete would bring the row back. Map a tombstone column (for example deleted_at timestamptz) and emit RowChange.Tombstone for deletes.");
        }
    }

    /// <summary>Runs the recompute query for zero rows (it must return every mapped column) and asks the planner how many rows it returns.</summary>
    private async Task<long?> ProbeRecomputeQueryAsync(ReadModelTable table, CancellationToken cancellationToken)
    {
        var columns = string.Join(", ", Apply.RecomputeStatement.ExpectedColumns(table).Select(c => "q." + c));
        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        try
        {
            using var probe = new NpgsqlCommand($"SELECT {columns} FROM {Sql.RecomputeQuery.Embed(table.ProjectionName, table.Mapping.RecomputeSql!)} AS q LIMIT 0", connection);
            await probe.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, $"its RecomputeSql fails when selecting the mapped columns ({string.Join(", ", Apply.RecomputeStatement.ExpectedColumns(table))}): {e.MessageText}. It must return every key and value column and the version column under the read-model names (alias them with AS).", e);
        }

        using var explain = new NpgsqlCommand($"EXPLAIN (FORMAT JSON) SELECT {columns} FROM {Sql.RecomputeQuery.Embed(table.ProjectionName, table.Mapping.RecomputeSql!)} AS q", connection);
        var plan = (string)(await explain.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        using var document = JsonDocument.Parse(plan);
        return (long)document.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
    }
}
