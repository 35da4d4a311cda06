using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using ReadModelKit.Checkpoints;
using ReadModelKit.Contracts;
using ReadModelKit.Diagnostics;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Outbox;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Fills a new version by replaying the projection's outbox stream from its start: whole transactions in commit order, applied with the
/// projection's own handlers under the version guard into the new version's table only, advancing the run's own checkpoint track
/// (<c>rebuild-v&lt;N&gt;</c>, through the checkpoint owner). Live batches write the new version from the moment it was planned, so
/// the replay is done once its checkpoint passes every transaction that committed before then (the run's <see cref="RebuildRun.ReplayTo"/>).
/// Both orders of a replayed and a live event end in the same row: the guard keeps the higher version, tombstones included.
/// </summary>
internal sealed class OutboxReplay
{
    private static readonly TimeSpan HorizonPoll = TimeSpan.FromMilliseconds(100);
    private readonly NpgsqlReadModelStore _store;
    private readonly RebuildOptions _options;
    private readonly RebuildRunStore _runs;
    private readonly OutboxReader _reader;
    private readonly OutboxPruneFloor _floor;

    public OutboxReplay(NpgsqlReadModelStore store, RebuildOptions options, RebuildRunStore runs)
    {
        _store = store;
        _options = options;
        _runs = runs;
        _reader = new OutboxReader(store.DataSource, store.SchemaIdentifier);
        _floor = new OutboxPruneFloor(store.SchemaIdentifier);
    }

    /// <summary>The checkpoint track of a run's replay.</summary>
    public static CheckpointSet Track(RebuildRun run) =>
        new(run.ProjectionName, "rebuild-v" + run.ToVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Checks, before anything is created, that the projection reads an outbox stream and that no event of it was ever pruned; returns
    /// the planner's estimate of the stream's events.
    /// </summary>
    /// <exception cref="RebuildMethodNotSupportedException">The projection does not read the outbox.</exception>
    /// <exception cref="OutboxPrunedForReplayException">Events of the stream were pruned.</exception>
    public async Task<long?> PlanAsync(ProjectionApplier applier, CancellationToken cancellationToken)
    {
        var contract = applier.Contract;
        if (contract.Source.Kind != SourceKind.Outbox)
        {
            throw new RebuildMethodNotSupportedException(contract.Name, contract.Rebuild, $"Projection '{contract.Name}' reads {contract.Source.Kind} '{contract.Source.Name}', so there is no outbox stream to replay it from. Rebuild it by backfill (contract Rebuild = BackfillFromCanonicalTables, with a RecomputeSql).");
        }

        if (await _floor.ReadAsync(_store.DataSource, contract.Source.Name, cancellationToken).ConfigureAwait(false) is { } floor)
        {
            throw new OutboxPrunedForReplayException(contract.Name, contract.Source.Name, new StreamPosition(floor.PrunedUpTo), floor.PrunedAt, StreamPosition.Start);
        }

        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var explain = new NpgsqlCommand($"EXPLAIN (FORMAT JSON) SELECT 1 FROM {_store.SchemaIdentifier.Quoted}.outbox WHERE stream = $1", connection);
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = contract.Source.Name });
        using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        return (long)plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
    }

    /// <summary>
    /// Replays (or resumes replaying) a planned or replaying run into <paramref name="target"/> until it caught up, then moves it to
    /// Validating and removes its checkpoint track in one transaction. Returns the state the run is in (Validating, or where a cancel
    /// left it); any other state is returned as it is.
    /// </summary>
    /// <exception cref="OutboxPrunedForReplayException">The stream was pruned past the replay's checkpoint.</exception>
    /// <exception cref="RebuildLeaseLostException">Another node took the run over; this node's batch was rolled back.</exception>
    public async Task<RebuildRunState> RunAsync(RebuildRun run, RunLease lease, ReadModelTable target, IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        if (run.State is not (RebuildRunState.Planned or RebuildRunState.Replaying))
        {
            return run.State;
        }

        var applier = _store.GetApplier(run.ProjectionName);
        var track = Track(run);
        await _store.Checkpoints.EnsureAsync(track, 1, cancellationToken).ConfigureAwait(false);
        var replayTo = await _runs.BeginReplayAsync(lease, cancellationToken).ConfigureAwait(false);
        if (replayTo is null)
        {
            return await StateAfterLossAsync(run, lease, cancellationToken).ConfigureAwait(false);
        }

        var batch = new ReplayBatch(_store, applier, _runs, _floor, target, track, lease);
        var checkpoint = (await _store.Checkpoints.LoadAsync(track, 0, cancellationToken).ConfigureAwait(false))?.Position ?? StreamPosition.Start;
        var done = (await _runs.GetAsync(run.Id, cancellationToken).ConfigureAwait(false))?.RowsDone ?? run.RowsDone;
        long session = 0;
        var clock = Stopwatch.StartNew();
        var renewed = clock.Elapsed;
        var tag = ReadModelKitDiagnostics.Tag(run.ProjectionName);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = await _reader.FetchAsync(applier.Contract.Source.Name, 0, 1, checkpoint, _options.ChunkSize, cancellationToken).ConfigureAwait(false);
            if (read.Events.Count > 0)
            {
                var applied = await batch.ApplyAsync(read.Events, checkpoint, cancellationToken).ConfigureAwait(false);
                if (applied is null)
                {
                    return await StateAfterLossAsync(run, lease, cancellationToken).ConfigureAwait(false);
                }

                checkpoint = applied.Value;
                renewed = clock.Elapsed;
                done += read.Events.Count;
                session += read.Events.Count;
                ReadModelKitDiagnostics.RebuildProgress.Add(read.Events.Count, tag);
                progress?.Report(RebuildTransactions.Progress(run.ProjectionName, RebuildRunState.Replaying, done, run.EstimatedRows, clock.Elapsed, session));
            }

            // Caught up: every transaction below the target was delivered (the live feed wrote every later one).
            if (checkpoint.Value >= replayTo.Value - 1 || (read.ReachedHorizon && read.Horizon >= replayTo.Value))
            {
                return await FinishAsync(run, lease, batch, checkpoint, cancellationToken).ConfigureAwait(false);
            }

            // Nothing new below the horizon: a transaction older than the target is still running. The lease is renewed while waiting.
            if (read.Events.Count == 0 && clock.Elapsed - renewed > lease.Duration / 3)
            {
                if (!await _runs.RenewLeaseAsync(lease, cancellationToken).ConfigureAwait(false))
                {
                    return await StateAfterLossAsync(run, lease, cancellationToken).ConfigureAwait(false);
                }

                renewed = clock.Elapsed;
            }

            var pause = read.Events.Count == 0 ? HorizonPoll : _options.ThrottleDelay;
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, _store.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Removes a run's replay checkpoints inside the caller's transaction (the run ended); nothing when it has none.</summary>
    public Task ForgetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RebuildRun run, CancellationToken cancellationToken) =>
        _store.Checkpoints.DeleteTrackAsync(connection, transaction, Track(run), cancellationToken);

    private async Task<RebuildRunState> FinishAsync(RebuildRun run, RunLease lease, ReplayBatch batch, StreamPosition checkpoint, CancellationToken cancellationToken)
    {
        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await batch.CheckFloorAsync(connection, transaction, checkpoint, cancellationToken).ConfigureAwait(false);
        if (!await _runs.RecordStepAsync(connection, transaction, lease, RebuildRunState.Replaying, RebuildRunState.Validating, null, 0, cancellationToken).ConfigureAwait(false))
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return await StateAfterLossAsync(run, lease, cancellationToken).ConfigureAwait(false);
        }

        await ForgetAsync(connection, transaction, run, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return RebuildRunState.Validating;
    }

    /// <summary>
    /// A fenced write found the run no longer this node's: the state a cancel left it in (its checkpoint track removed again, in case
    /// this node created it after the cancel), or the lease loss.
    /// </summary>
    private async Task<RebuildRunState> StateAfterLossAsync(RebuildRun run, RunLease lease, CancellationToken cancellationToken)
    {
        var current = await _runs.GetAsync(run.Id, cancellationToken).ConfigureAwait(false);
        if (current is not { IsActive: false } ended)
        {
            throw new RebuildLeaseLostException(run.ProjectionName, run.Id, lease.NodeId, lease.Token);
        }

        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await ForgetAsync(connection, transaction, run, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ended.State;
    }
}
