using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Drift;

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
    private readonly RebuildRunStore _runs;
    private readonly VersionSwitcher _switcher;
    private readonly VersionRetirement _retirement;
    private readonly RebuildPlanner _planner;
    private readonly RebuildRunner _runner;
    private readonly RepairInPlace _repair;

    internal RebuildOrchestrator(NpgsqlReadModelStore store, RebuildOptions options)
    {
        _store = store;
        _runs = new RebuildRunStore(store.DataSource, store.SchemaIdentifier);
        var logger = store.Loggers.CreateLogger("ReadModelKit.Npgsql.Rebuild");
        var transactions = new RebuildTransactions(store, options);
        _switcher = new VersionSwitcher(store, options, _runs, logger, transactions);
        _retirement = new VersionRetirement(store, options, _runs, logger, _switcher);
        _planner = new RebuildPlanner(store, _runs, logger, _switcher);
        _runner = new RebuildRunner(store, options, _runs, logger, transactions, _retirement, new RebuildGate(store, options));
        _repair = new RepairInPlace(store, options, logger, transactions);
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
    public Task<ProjectionVersions> AdoptAsync(string projectionName, CancellationToken cancellationToken = default) =>
        _switcher.AdoptAsync(projectionName, cancellationToken);

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
    public Task<RebuildRun> StartAsync(string projectionName, string? newTableSql = null, CancellationToken cancellationToken = default) =>
        _planner.StartAsync(projectionName, newTableSql, cancellationToken);

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
    public Task<RebuildRun> RunAsync(string projectionName, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(projectionName, progress, cancellationToken);

    /// <summary>
    /// Switches the stable view to the new version in one short transaction (<c>CREATE OR REPLACE VIEW</c> under a lock timeout, retried with
    /// back-off and jitter). The old version keeps receiving live writes, so <see cref="RollbackAsync"/> is instant until <see cref="RetireAsync"/>.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">No run is ready: none exists, or the gate has not passed.</exception>
    /// <exception cref="IncompatibleViewShapeException">The new version would change existing view columns.</exception>
    /// <exception cref="CutoverTimeoutException">The view stayed locked on every attempt; nothing was switched.</exception>
    public Task<RebuildRun> CutoverAsync(string projectionName, CancellationToken cancellationToken = default) =>
        _switcher.CutoverAsync(projectionName, cancellationToken);

    /// <summary>
    /// Points the stable view back at the old version after a cutover, by the same short transaction; the old version received every live
    /// write meanwhile, so it is correct at once. The new version stops receiving writes and its table is dropped (unless
    /// <see cref="RebuildOptions.KeepTables"/>). Columns the new version appended stay in the view and read as NULL.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">Nothing to roll back: no cutover happened, or the old version was retired.</exception>
    /// <exception cref="CutoverTimeoutException">The view stayed locked on every attempt; nothing was switched.</exception>
    public Task<RebuildRun> RollbackAsync(string projectionName, CancellationToken cancellationToken = default) =>
        _switcher.RollbackAsync(projectionName, cancellationToken);

    /// <summary>
    /// Ends the grace period after a cutover: the old version stops receiving writes and its table is dropped (unless
    /// <see cref="RebuildOptions.KeepTables"/>). After this, rollback is refused.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="force">Retire before <see cref="RebuildOptions.GracePeriod"/> has passed since the cutover.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">No cutover to retire after, or the grace period is not over and <paramref name="force"/> is false.</exception>
    public Task<RebuildRun> RetireAsync(string projectionName, bool force = false, CancellationToken cancellationToken = default) =>
        _retirement.RetireAsync(projectionName, force, cancellationToken);

    /// <summary>
    /// Cancels the active run before its cutover: the new version stops receiving writes and its table is dropped (unless
    /// <see cref="RebuildOptions.KeepTables"/>); a node running it stops after its current chunk, which is rolled back.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels between attempts.</param>
    /// <exception cref="RebuildStateException">There is no active run, or it is already cut over (roll back or retire instead).</exception>
    public Task<RebuildRun> CancelAsync(string projectionName, CancellationToken cancellationToken = default) =>
        _retirement.CancelAsync(projectionName, cancellationToken);

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
    public Task<RepairResult> RepairAsync(string projectionName, DriftScope scope, IReadOnlyList<string>? resumeAfter = null, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _repair.RepairAsync(projectionName, scope, resumeAfter, progress, cancellationToken);
}
