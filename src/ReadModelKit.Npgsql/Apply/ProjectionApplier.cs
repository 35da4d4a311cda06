using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Checkpoints;
using ReadModelKit.Contracts;
using ReadModelKit.Diagnostics;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Diagnostics;
using ReadModelKit.Npgsql.Checkpoints;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Resilience;
using ReadModelKit.Npgsql.Privacy;
using ReadModelKit.Npgsql.Sql;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>
/// Applies batches of events to one projection's read-model table, idempotently and in one transaction per batch:
/// duplicates have no effect, older versions never overwrite newer rows, tombstones cannot be resurrected,
/// poison events are dead-lettered (or halt the projection) and later events of their key are parked behind them.
/// Thread-safe; batches of one partition serialize on its checkpoint row.
/// </summary>
public sealed class ProjectionApplier
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly IProjection _projection;
    private readonly ApplyStatements _statements;
    private readonly VersionFeed _feed;
    private readonly ApplierOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NpgsqlCheckpointStore _checkpoints;
    private readonly HashSet<int> _knownPartitions = [];

    internal ProjectionApplier(
        NpgsqlDataSource dataSource,
        IProjection projection,
        ReadModelTable table,
        SqlIdentifier schema,
        NpgsqlCheckpointStore checkpoints,
        ApplierOptions options,
        TimeProvider time,
        ILogger logger,
        ProjectionPrivacy privacy,
        string track = CheckpointSet.LiveTrack)
    {
        Privacy = privacy;
        _dataSource = dataSource;
        _projection = projection;
        Table = table;
        _checkpoints = checkpoints;
        _options = options;
        _time = time;
        _logger = logger;
        Checkpoints = new CheckpointSet(projection.Contract.Name, track);
        _statements = new ApplyStatements(table, projection.Contract.Idempotency, schema, checkpoints);
        _feed = new VersionFeed(dataSource, schema, table, projection.Contract.Idempotency, checkpoints, options.PrepareStatements);
    }

    /// <summary>The projection's contract.</summary>
    public ProjectionContract Contract => _projection.Contract;

    /// <summary>The checked table the projection writes.</summary>
    public ReadModelTable Table { get; }

    /// <summary>The checkpoint set this applier advances.</summary>
    public CheckpointSet Checkpoints { get; }

    /// <summary>How the contract's personal data is masked, sealed or redacted wherever the library stores or shows it.</summary>
    internal ProjectionPrivacy Privacy { get; }

    /// <summary>Applies a batch from a source without positions (a broker, an application) to partition 0.</summary>
    /// <param name="batch">The events, in any order, duplicates allowed.</param>
    /// <param name="cancellationToken">Cancels the batch (it then rolls back).</param>
    public ValueTask<ApplyResult> ApplyAsync(IReadOnlyList<EventEnvelope> batch, CancellationToken cancellationToken = default) =>
        ApplyAsync(batch, expectedCheckpoint: null, partition: 0, cancellationToken);

    /// <summary>
    /// Applies a batch and advances the checkpoint of <paramref name="partition"/> to the batch's highest position.
    /// When <paramref name="expectedCheckpoint"/> is given, the batch commits only if the checkpoint is still there
    /// (compare-and-set); otherwise nothing is written and <see cref="CheckpointConflictException"/> is thrown.
    /// </summary>
    /// <param name="batch">The events, in any order, duplicates allowed.</param>
    /// <param name="expectedCheckpoint">The checkpoint position the caller read before fetching the batch, or null.</param>
    /// <param name="partition">The checkpoint partition. Default 0.</param>
    /// <param name="cancellationToken">Cancels the batch (it then rolls back).</param>
    /// <exception cref="CheckpointConflictException">The checkpoint moved underneath the batch.</exception>
    /// <exception cref="ProjectionHaltedException">An event kept failing and the failure policy is Halt.</exception>
    public ValueTask<ApplyResult> ApplyAsync(IReadOnlyList<EventEnvelope> batch, StreamPosition? expectedCheckpoint, int partition, CancellationToken cancellationToken = default) =>
        ApplyAsync(batch, expectedCheckpoint, partition, fence: null, cancellationToken);

    /// <summary>As the public overload; <paramref name="fence"/> runs first inside the batch transaction (and again on every retry) and may throw to abort it.</summary>
    internal async ValueTask<ApplyResult> ApplyAsync(
        IReadOnlyList<EventEnvelope> batch,
        StreamPosition? expectedCheckpoint,
        int partition,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>? fence,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (expectedCheckpoint is { } expected && Contract.Idempotency == IdempotencyMode.Checkpoint)
        {
            // Ordered source: anything at or before the checkpoint was applied already.
            batch = batch.Where(e => e.Position > expected).ToList();
        }

        var plan = Plan(batch);
        ThrowIfHalting(plan);
        for (var retry = 0; ; retry++)
        {
            try
            {
                await EnsurePartitionAsync(partition, cancellationToken).ConfigureAwait(false);
                var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var connectionScope = connection.ConfigureAwait(false);
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using var transactionScope = transaction.ConfigureAwait(false);
                if (fence is not null)
                {
                    await fence(connection, transaction, cancellationToken).ConfigureAwait(false);
                }

                var result = await ApplyPlanAsync(connection, transaction, plan, batch, expectedCheckpoint, partition, replay: false, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                Record(result);
                return result;
            }
            catch (Exception ex) when (CountFailure(batch, ex, cancellationToken) && retry < _options.MaxTransientRetries && TransientErrors.IsTransient(ex))
            {
                var delay = Backoff.Delay(_options.TransientRetryDelay, _options.MaxTransientRetryDelay, retry);
                NpgsqlLog.TransientRetry(_logger, Contract.Name, retry + 1, delay.TotalMilliseconds, ex);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Applies dead-lettered events of <paramref name="partition"/> again inside the caller's transaction: no position filter, and no
    /// checkpoint moves (the result's checkpoint is the partition's, as it is).
    /// </summary>
    internal async Task<ApplyResult> ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<EventEnvelope> events, int partition, CancellationToken cancellationToken)
    {
        var plan = Plan(events);
        ThrowIfHalting(plan);
        return await ApplyPlanAsync(connection, transaction, plan, events, null, partition, replay: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The applier's settings (statement preparation, transient retries), for writers that apply batches beside it.</summary>
    internal ApplierOptions Options => _options;

    /// <summary>Projects <paramref name="events"/> (with the handler retries of the options) without touching the database.</summary>
    internal BatchPlan Plan(IReadOnlyList<EventEnvelope> events) =>
        BatchPlan.Create(_projection, Table, events, _options.MaxHandlerAttempts, Privacy);

    /// <summary>Records <paramref name="result"/> in metrics once its transaction committed.</summary>
    internal void Record(ApplyResult result)
    {
        var tag = ReadModelKitDiagnostics.Tag(Contract.Name);
        ReadModelKitDiagnostics.EventsApplied.Add(result.Applied, tag);
        if (result.DeadLettered > 0)
        {
            ReadModelKitDiagnostics.EventsDeadLettered.Add(result.DeadLettered, tag);
        }
    }

    /// <summary>Throws <see cref="ProjectionHaltedException"/> when the plan holds a poison event and the failure policy is Halt.</summary>
    internal void ThrowIfHalting(BatchPlan plan)
    {
        if (plan.Poison.Count > 0 && Contract.FailurePolicy == FailurePolicy.Halt)
        {
            var first = plan.Poison[0];
            throw new ProjectionHaltedException(Contract.Name, first.Envelope.EventId, first.Attempts, Privacy.MaskException(first.Error, first.Envelope.Payload));
        }
    }

    private async Task<ApplyResult> ApplyPlanAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        BatchPlan plan,
        IReadOnlyList<EventEnvelope> batch,
        StreamPosition? expectedCheckpoint,
        int partition,
        bool replay,
        CancellationToken cancellationToken)
    {
        using var activity = ReadModelKitDiagnostics.StartActivity("apply_batch", Contract.Name);
        activity?.SetTag("projection.batch.size", batch.Count);
        var started = Stopwatch.GetTimestamp();
        var now = _time.GetUtcNow();
        var deadLettered = 0;
        if (plan.Poison.Count > 0)
        {
            foreach (var poison in plan.Poison)
            {
                NpgsqlLog.DeadLettered(_logger, Contract.Name, poison.Envelope.EventId, poison.Envelope.Type, poison.Envelope.OrderingKey, poison.Attempts, Privacy.MaskException(poison.Error, poison.Envelope.Payload));
            }

            deadLettered = await InsertDeadLettersAsync(connection, transaction, plan.Poison.Select(p => (p.Envelope, "dead", Privacy.MaskError(p.Error.Message, p.Envelope.Payload)!, p.Attempts)), cancellationToken).ConfigureAwait(false);
        }

        int fresh;
        int written;
        long? checkpoint;
        Guid[] parked;
        // The versions this batch writes (the serving one, and one being rebuilt or kept for rollback), locked until commit.
        var statements = await _feed.ResolveAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        using (var main = new NpgsqlCommand(replay ? statements.Replay : statements.Main, connection, transaction))
        {
            ApplyStatements.AddMainParameters(main.Parameters, Contract.Name, plan, batch, expectedCheckpoint, partition, now, Checkpoints.Track);
            await PrepareAsync(main, cancellationToken).ConfigureAwait(false);
            using var reader = await main.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            fresh = reader.GetInt32(0);
            written = reader.GetInt32(1);
            checkpoint = reader.IsDBNull(2) ? null : reader.GetInt64(2);
            parked = reader.GetFieldValue<Guid[]>(3);
        }

        if (checkpoint is null)
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            throw new CheckpointConflictException(Contract.Name, partition, expectedCheckpoint);
        }

        if (parked.Length > 0)
        {
            var parkedSet = parked.ToHashSet();
            var events = plan.Events.Where(e => parkedSet.Contains(e.EventId));
            await InsertDeadLettersAsync(connection, transaction, events.Select(e => (e, "parked", $"parked behind a dead-lettered event of ordering key '{e.OrderingKey}'", 0)), cancellationToken).ConfigureAwait(false);
            NpgsqlLog.Parked(_logger, Contract.Name, parked.Length);
        }

        for (var target = 0; plan.RecomputeCount > 0 && target < statements.Recompute.Count; target++)
        {
            using var recompute = new NpgsqlCommand(statements.Recompute[target], connection, transaction);
            recompute.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
            foreach (var parameter in plan.RecomputeParameters())
            {
                recompute.Parameters.Add(parameter);
            }

            await PrepareAsync(recompute, cancellationToken).ConfigureAwait(false);
            var rows = (int)(await recompute.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            written += target == 0 ? rows : 0;
        }

        var result = new ApplyResult(
            Received: batch.Count,
            Applied: fresh,
            Duplicates: plan.Events.Count - fresh - parked.Length + plan.Poison.Count - deadLettered,
            RowsWritten: written,
            DeadLettered: deadLettered,
            Parked: parked.Length,
            Checkpoint: new StreamPosition(checkpoint.Value));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        ReadModelKitDiagnostics.BatchDuration.Record(seconds, ReadModelKitDiagnostics.Tag(Contract.Name));
        activity?.SetTag("projection.batch.applied", fresh);
        NpgsqlLog.BatchApplied(_logger, Contract.Name, batch.Count, fresh, written, result.Checkpoint.Value, seconds * 1000);
        return result;
    }

    private async Task<int> InsertDeadLettersAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        IEnumerable<(EventEnvelope Envelope, string Status, string Error, int Attempts)> rows,
        CancellationToken cancellationToken)
    {
        var list = rows.ToList();
        using var command = new NpgsqlCommand(_statements.DeadLetter, connection, transaction);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = Contract.Name });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = list.Select(r => r.Envelope.EventId).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = list.Select(r => r.Envelope.OrderingKey).ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = list.Select(r => r.Envelope.Version).ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = list.Select(r => r.Envelope.Position.Value).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = list.Select(r => r.Envelope.Type).ToArray() });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = list.Select(r => r.Envelope.OccurredAt.UtcDateTime).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = list.Select(r => Privacy.PayloadAtRest(r.Envelope.Payload)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = list.Select(r => r.Status).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = list.Select(r => r.Error).ToArray() });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = list.Select(r => r.Attempts).ToArray() });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Prepares <paramref name="command"/> unless disabled; a no-op when this physical connection prepared the same SQL before.</summary>
    private Task PrepareAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        _options.PrepareStatements ? command.PrepareAsync(cancellationToken) : Task.CompletedTask;

    private async Task EnsurePartitionAsync(int partition, CancellationToken cancellationToken)
    {
        lock (_knownPartitions)
        {
            if (_knownPartitions.Contains(partition))
            {
                return;
            }
        }

        await _checkpoints.EnsurePartitionAsync(Checkpoints, partition, cancellationToken).ConfigureAwait(false);
        lock (_knownPartitions)
        {
            _knownPartitions.Add(partition);
        }
    }

    /// <summary>
    /// Counts the events of a batch attempt that failed in the database (every failed attempt, retried or not) in
    /// <c>projection_events_failed_total</c>; a lost lease, a moved checkpoint, a halt or a cancellation is not a failed application.
    /// Always false, so it can sit in an exception filter.
    /// </summary>
    private bool CountFailure(IReadOnlyList<EventEnvelope> batch, Exception exception, CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested && exception is not (ReadModelKitException or OperationCanceledException))
        {
            ReadModelKitDiagnostics.EventsFailed.Add(batch.Count, ReadModelKitDiagnostics.Tag(Contract.Name));
        }

        return true;
    }
}
