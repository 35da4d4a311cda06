using Npgsql;
using ReadModelKit.Checkpoints;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Resilience;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Applies one batch of replayed outbox events to a new version in one transaction and one round trip: the feed lock (so a cancel or
/// cutover waits for the batch), the run's fence and progress, the stream's prune floor, and the apply statement over the new version's
/// table alone, advancing the replay's checkpoint track with the checkpoint owner's SQL. The events are deduplicated by that checkpoint,
/// not by the inbox (the live path already recorded them there); dead letters stay the live path's, so poison and parked events are
/// left out of the new version as they are out of the serving one.
/// </summary>
internal sealed class ReplayBatch
{
    private readonly NpgsqlReadModelStore _store;
    private readonly ProjectionApplier _applier;
    private readonly RebuildRunStore _runs;
    private readonly OutboxPruneFloor _floor;
    private readonly CheckpointSet _track;
    private readonly RunLease _lease;
    private readonly ApplyStatements _statements;

    public ReplayBatch(NpgsqlReadModelStore store, ProjectionApplier applier, RebuildRunStore runs, OutboxPruneFloor floor, ReadModelTable target, CheckpointSet track, RunLease lease)
    {
        _store = store;
        _applier = applier;
        _runs = runs;
        _floor = floor;
        _track = track;
        _lease = lease;
        _statements = new ApplyStatements(applier.Table, IdempotencyMode.Checkpoint, store.SchemaIdentifier, store.Checkpoints, [target]);
    }

    private string Projection => _applier.Contract.Name;

    private string Stream => _applier.Contract.Source.Name;

    /// <summary>
    /// Applies <paramref name="events"/> read after <paramref name="expected"/>, retrying transient errors (a deadlock with a live batch, a
    /// lost connection) as the applier does; returns the new checkpoint, or null when the run is no longer this node's.
    /// </summary>
    /// <exception cref="OutboxPrunedForReplayException">The stream was pruned past <paramref name="expected"/>.</exception>
    public async Task<StreamPosition?> ApplyAsync(IReadOnlyList<EventEnvelope> events, StreamPosition expected, CancellationToken cancellationToken)
    {
        var plan = _applier.Plan(events);
        _applier.ThrowIfHalting(plan);
        var options = _applier.Options;
        for (var retry = 0; ; retry++)
        {
            try
            {
                return await ApplyOnceAsync(plan, events, expected, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (retry < options.MaxTransientRetries && TransientErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff.Delay(options.TransientRetryDelay, options.MaxTransientRetryDelay, retry), _store.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<StreamPosition?> ApplyOnceAsync(BatchPlan plan, IReadOnlyList<EventEnvelope> events, StreamPosition expected, CancellationToken cancellationToken)
    {
        var now = _store.Time.GetUtcNow();
        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var main = new NpgsqlBatchCommand(_statements.Main);
        ApplyStatements.AddMainParameters(main.Parameters, Projection, plan, events, expected, 0, now, _track.Track);
        using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { _runs.FeedLockCommand(Projection), _runs.ReplayStepCommand(_lease, events.Count), _floor.ReadCommand(Stream), main },
        };
        bool fenced;
        OutboxPruneFloor.Floor? floor;
        long? checkpoint;
        try
        {
            if (_applier.Options.PrepareStatements)
            {
                await batch.PrepareAsync(cancellationToken).ConfigureAwait(false);
            }

            using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            fenced = !await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            floor = await OutboxPruneFloor.ReadAsync(reader, cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            checkpoint = reader.IsDBNull(2) ? null : reader.GetInt64(2);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // A cancel dropped the new version's table before this batch took the feed lock.
            return null;
        }

        if (fenced)
        {
            return null;
        }

        ThrowIfPruned(floor, expected);
        if (checkpoint is null)
        {
            // The track moved under this batch: only a node holding the run writes it, so this one lost the run.
            return null;
        }

        for (var i = 0; plan.RecomputeCount > 0 && i < _statements.Recompute.Count; i++)
        {
            using var recompute = new NpgsqlCommand(_statements.Recompute[i], connection, transaction);
            recompute.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
            foreach (var parameter in plan.RecomputeParameters())
            {
                recompute.Parameters.Add(parameter);
            }

            await recompute.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new StreamPosition(checkpoint.Value);
    }

    /// <summary>Inside the caller's transaction: throws when the stream was pruned past <paramref name="checkpoint"/>.</summary>
    public async Task CheckFloorAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StreamPosition checkpoint, CancellationToken cancellationToken)
    {
        using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { _floor.ReadCommand(Stream) } };
        using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfPruned(await OutboxPruneFloor.ReadAsync(reader, cancellationToken).ConfigureAwait(false), checkpoint);
    }

    /// <summary>Events after <paramref name="checkpoint"/> are needed; a floor above it means some may be gone.</summary>
    private void ThrowIfPruned(OutboxPruneFloor.Floor? floor, StreamPosition checkpoint)
    {
        if (floor is { } f && f.PrunedUpTo > checkpoint.Value)
        {
            throw new OutboxPrunedForReplayException(Projection, Stream, new StreamPosition(f.PrunedUpTo), f.PrunedAt, checkpoint);
        }
    }
}
