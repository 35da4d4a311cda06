using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReadModelKit.Checkpoints;
using ReadModelKit.Contracts;
using ReadModelKit.Diagnostics;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Checkpoints;
using ReadModelKit.Npgsql.Diagnostics;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Outbox;
using ReadModelKit.Npgsql.Resilience;

namespace ReadModelKit.Npgsql.Runner;

/// <summary>
/// Runs one outbox-fed projection on this node: claims its fair share of the projection's partitions (leases in PostgreSQL),
/// reads each one gap-safely in transaction order, applies whole transactions in fenced batches with a checkpoint
/// compare-and-set, backs off when idle and wakes on the outbox's notifications. Several nodes may run the same projection;
/// a node that loses a lease cannot commit. Call <see cref="RunAsync"/> from the application's own background service.
/// </summary>
public sealed class ProjectionRunner
{
    private readonly NpgsqlReadModelStore _store;
    private readonly ProjectionApplier _applier;
    private readonly ProjectionRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PartitionLeases _leases;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private readonly NpgsqlCheckpointStore _checkpoints;
    private readonly OutboxReader _reader;
    private readonly WakeSignal _wake = new();
    private readonly Dictionary<int, PartitionWork> _owned = [];
    private readonly object _gate = new();
    private readonly KeyValuePair<string, object?> _tag;
    private DateTimeOffset _controlReadAt = DateTimeOffset.MinValue;
    private long _batches;
    private long _events;
    private long _leasesLost;
    private long _fenced;
    private long _conflicts;
    private long _errors;
    private string? _lastError;
    private int _running;

    /// <summary>Creates the runner of <paramref name="projectionName"/>; the store must be initialized.</summary>
    /// <param name="store">The initialized store.</param>
    /// <param name="projectionName">The projection, whose contract's source is an outbox stream.</param>
    /// <param name="options">Runner settings, or null for the defaults.</param>
    /// <param name="time">The clock for delays, lag and timestamps; default the store's.</param>
    /// <param name="loggers">Logger factory, or null for none.</param>
    /// <exception cref="ReadModelKitException">The options are invalid, or the projection does not read the outbox.</exception>
    public ProjectionRunner(NpgsqlReadModelStore store, string projectionName, ProjectionRunnerOptions? options = null, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = options ?? new ProjectionRunnerOptions();
        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new ReadModelKitException($"ProjectionRunner options of '{projectionName}' are invalid ({errors.Count}):{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", errors)}", projectionName);
        }

        _store = store;
        _applier = store.GetApplier(projectionName);
        var source = _applier.Contract.Source;
        if (source.Kind != SourceKind.Outbox)
        {
            throw new ReadModelKitException($"Projection '{projectionName}' reads {source.Kind} '{source.Name}', but ProjectionRunner reads only the outbox. For a broker, hand each consumed batch to store.GetApplier(\"{projectionName}\").ApplyAsync(batch) (docs/external-sources.md).", projectionName);
        }

        _time = time ?? store.Time;
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("ReadModelKit.Npgsql.Runner");
        // Unique per instance even when two replicas share a configured id: a shared id would share leases and tokens.
        NodeId = $"{_options.NodeId ?? Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
        _leases = new PartitionLeases(store.DataSource, store.SchemaIdentifier, projectionName, _options.PartitionCount, NodeId, _options.LeaseDuration);
        _checkpoints = store.Checkpoints;
        _reader = new OutboxReader(store.DataSource, store.SchemaIdentifier);
        _tag = ReadModelKitDiagnostics.Tag(projectionName);
    }

    /// <summary>Raised after each committed batch (on the runner's loop: keep handlers short; exceptions are logged and ignored).</summary>
    public event EventHandler<BatchAppliedEventArgs>? BatchApplied;

    /// <summary>The projection this runner applies.</summary>
    public string ProjectionName => _applier.Contract.Name;

    /// <summary>This runner instance's id in the lease table: the configured <see cref="ProjectionRunnerOptions.NodeId"/> (default the machine name) and a random suffix.</summary>
    public string NodeId { get; }

    /// <summary>What this runner has done since it started.</summary>
    public ProjectionRunnerStatus Status
    {
        get
        {
            PartitionLease[] owned;
            lock (_gate)
            {
                owned = [.. _owned.Values.Select(w => w.Lease).OrderBy(l => l.Partition)];
            }

            return new ProjectionRunnerStatus(
                NodeId,
                Volatile.Read(ref _running) == 1,
                owned,
                Interlocked.Read(ref _batches),
                Interlocked.Read(ref _events),
                Interlocked.Read(ref _leasesLost),
                Interlocked.Read(ref _fenced),
                Interlocked.Read(ref _conflicts),
                Interlocked.Read(ref _errors),
                Volatile.Read(ref _lastError));
        }
    }

    private FreshnessContract Freshness => _applier.Contract.Freshness;

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled, then releases this node's partitions so other nodes take them
    /// over at once. Database errors are retried with back-off; only a bad configuration ends the run early.
    /// </summary>
    /// <param name="cancellationToken">Stops the runner (from the host's stopping token).</param>
    /// <exception cref="PartitionCountMismatchException">The projection was partitioned with another count.</exception>
    /// <exception cref="InvalidOperationException">This instance is already running.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException($"This runner of '{ProjectionName}' is already running: create one runner per projection per node.");
        }

        try
        {
            await StartUpAsync(cancellationToken).ConfigureAwait(false);
            NpgsqlLog.RunnerStarted(_logger, ProjectionName, NodeId, _options.PartitionCount, _applier.Contract.Source.Name);
            using var background = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
            var heartbeats = HeartbeatLoopAsync(background.Token);
            var listener = _options.ListenForNotifications
                ? new OutboxListener(_store.DataSource, _store.Schema, _applier.Contract.Source.Name, _wake.Set, _time, _logger).RunAsync(background.Token)
                : Task.CompletedTask;
            try
            {
                await LoopAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await background.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(heartbeats, listener).ConfigureAwait(false);
                await ReleaseAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping is the normal end of a run.
        }
        finally
        {
            lock (_gate)
            {
                _owned.Clear();
            }

            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>Creates the partitions' lease and checkpoint rows, retrying transient errors (the database may not be reachable yet) until cancelled.</summary>
    private async Task StartUpAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _leases.EnsureAsync(cancellationToken).ConfigureAwait(false);
                await _checkpoints.EnsureAsync(_applier.Checkpoints, _options.PartitionCount, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (TransientErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _errors);
                Volatile.Write(ref _lastError, $"{ex.GetType().Name}: {ex.Message}");
                var delay = Backoff.Delay(FirstRetryDelay, _options.MaxRetryDelay, attempt);
                NpgsqlLog.StartUpRetry(_logger, ProjectionName, NodeId, attempt + 1, delay.TotalMilliseconds, ex);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var idle = _options.MinIdleDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var armed = _wake.Arm();
            var progressed = false;
            var failed = false;
            var works = Snapshot();
            try
            {
                await ObeyControlAsync(works, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Without the operators' instructions no partition may apply (it might be paused): wait and read them again.
                Interlocked.Increment(ref _errors);
                Volatile.Write(ref _lastError, $"{ex.GetType().Name}: {ex.Message}");
                NpgsqlLog.ControlReadFailed(_logger, ProjectionName, idle.TotalMilliseconds, ex);
                works = [];
                failed = true;
            }

            foreach (var work in works)
            {
                try
                {
                    progressed |= await ProcessAsync(work, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (LeaseLostException ex)
                {
                    Drop(work);
                    if (work.Released)
                    {
                        // The heartbeat handed this partition to another node while this loop was on it: rebalancing, not a loss.
                        NpgsqlLog.HandedOverMidBatch(_logger, ProjectionName, NodeId, work.Partition);
                    }
                    else
                    {
                        Interlocked.Increment(ref _leasesLost);
                        NpgsqlLog.LeaseLost(_logger, ProjectionName, NodeId, work.Partition, ex);
                    }
                }
                catch (CheckpointConflictException ex)
                {
                    Interlocked.Increment(ref _conflicts);
                    work.Checkpoint = null;
                    progressed = true;
                    NpgsqlLog.CheckpointMoved(_logger, ProjectionName, work.Partition, ex);
                }
                catch (ProjectionHaltedException ex)
                {
                    await FaultAsync(work, ex, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    failed = true;
                    await RecordErrorAsync(work, ex, idle, cancellationToken).ConfigureAwait(false);
                }
            }

            if (progressed && !failed)
            {
                idle = _options.MinIdleDelay;
                continue;
            }

            try
            {
                var woken = await WakeSignal.WaitAsync(armed, idle, _time, cancellationToken).ConfigureAwait(false);

                // While events wait behind a long transaction, poll more often: its end may come without a notification.
                var longest = works.Any(w => w.HeldBack) ? Min(_options.MinIdleDelay * 4, _options.MaxIdleDelay) : _options.MaxIdleDelay;
                idle = woken && !failed ? _options.MinIdleDelay : Min(idle * 2, longest);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One step for one partition: fetch whole transactions below the horizon, apply them fenced, or advance an idle checkpoint.</summary>
    /// <returns>Whether events were applied.</returns>
    private async Task<bool> ProcessAsync(PartitionWork work, CancellationToken cancellationToken)
    {
        if (work.Halted || work.Paused)
        {
            return false;
        }

        var checkpoint = work.Checkpoint ??= (await _checkpoints.LoadAsync(_applier.Checkpoints, work.Partition, cancellationToken).ConfigureAwait(false))?.Position ?? StreamPosition.Start;
        if (!work.StateSaved)
        {
            await SaveStateAsync(work, work.State.Current, null, cancellationToken).ConfigureAwait(false);
            work.StateSaved = true;
        }

        var batch = await _reader.FetchAsync(_applier.Contract.Source.Name, work.Partition, _options.PartitionCount, checkpoint, _options.BatchSize, cancellationToken).ConfigureAwait(false);
        work.HeldBack = batch.OldestHeldBackAt is not null;
        var now = _time.GetUtcNow();
        var lag = batch.OldestPendingAt is { } oldest && now > oldest ? now - oldest : TimeSpan.Zero;
        ReadModelKitDiagnostics.Lag.Record(lag.TotalSeconds, _tag);
        if (batch.Events.Count > 0)
        {
            try
            {
                await ApplyAsync(work, checkpoint, batch.Events, cancellationToken).ConfigureAwait(false);
            }
            catch (ProjectionHaltedException halted)
            {
                // Apply the transactions before the halting one, so the checkpoint stops exactly in front of it.
                var poison = batch.Events.FirstOrDefault(e => e.EventId == halted.EventId)?.Position ?? StreamPosition.Start;
                var before = batch.Events.Where(e => e.Position < poison).ToList();
                if (before.Count > 0)
                {
                    await ApplyAsync(work, checkpoint, before, cancellationToken).ConfigureAwait(false);
                }

                throw;
            }
        }
        else if (batch.Horizon - 1 > checkpoint.Value && (work.LastIdleAdvance is not { } last || now - last >= _options.IdleCheckpointInterval))
        {
            // Every transaction below the horizon has finished and none had events of the partition beyond the checkpoint.
            var to = new StreamPosition(batch.Horizon - 1);
            var write = await _checkpoints.AdvanceAsync(_applier.Checkpoints, work.Partition, checkpoint, to, Fence(work), cancellationToken).ConfigureAwait(false);
            ThrowIfFenced(work, write);
            work.Checkpoint = write == CheckpointWrite.Written ? to : null;
            work.LastIdleAdvance = now;
        }

        // By lag alone, so a busy partition whose batches are cut by the size limit does not flap between Live and CatchingUp.
        var target = lag > Freshness.MaxLag ? ProjectionState.Stale : lag > Freshness.ExpectedLag ? ProjectionState.CatchingUp : ProjectionState.Live;
        var previous = work.State.Current;
        var changed = previous != target && work.State.TryTransitionTo(target);
        if (changed)
        {
            NpgsqlLog.PartitionStateChanged(_logger, ProjectionName, work.Partition, previous, target);
        }

        if (changed || work.SavedError is not null)
        {
            await SaveStateAsync(work, work.State.Current, null, cancellationToken).ConfigureAwait(false);
            work.SavedError = null;
        }

        return batch.Events.Count > 0;
    }

    private async Task ApplyAsync(PartitionWork work, StreamPosition checkpoint, IReadOnlyList<EventEnvelope> events, CancellationToken cancellationToken)
    {
        ApplyResult result;
        try
        {
            result = await _applier.ApplyAsync(
                events,
                checkpoint,
                work.Partition,
                (connection, transaction, token) => _leases.FenceAsync(connection, transaction, work.Lease, token),
                cancellationToken).ConfigureAwait(false);
        }
        catch (LeaseLostException) when (!work.Released)
        {
            Interlocked.Increment(ref _fenced);
            throw;
        }

        work.Checkpoint = result.Checkpoint;
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _events, result.Applied);
        var newest = events.Max(e => e.OccurredAt);
        ReadModelKitDiagnostics.WatermarkAge.Record(Math.Max(0, (_time.GetUtcNow() - newest).TotalSeconds), _tag);
        OnBatchApplied(new BatchAppliedEventArgs(work.Partition, checkpoint, result.Checkpoint, result));
    }

    private async Task FaultAsync(PartitionWork work, ProjectionHaltedException halted, CancellationToken cancellationToken)
    {
        work.Halted = true;
        work.State.TryTransitionTo(ProjectionState.Faulted);
        Volatile.Write(ref _lastError, halted.Message);
        NpgsqlLog.PartitionFaulted(_logger, ProjectionName, work.Partition, halted);
        try
        {
            await SaveStateAsync(work, ProjectionState.Faulted, halted.Message, cancellationToken).ConfigureAwait(false);
            work.SavedError = halted.Message;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            NpgsqlLog.RunnerError(_logger, ProjectionName, work.Partition, 0, ex);
        }
    }

    private async Task RecordErrorAsync(PartitionWork work, Exception error, TimeSpan retryIn, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _errors);
        var message = $"{error.GetType().Name}: {error.Message}";
        Volatile.Write(ref _lastError, message);
        NpgsqlLog.RunnerError(_logger, ProjectionName, work.Partition, retryIn.TotalMilliseconds, error);
        try
        {
            // Best effort: the database may be what failed.
            await SaveStateAsync(work, work.State.Current, message, cancellationToken).ConfigureAwait(false);
            work.SavedError = message;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            work.SavedError ??= message;
        }
    }

    /// <summary>
    /// Reads the operators' instructions (<see cref="Control.ProjectionControl"/>) when they are due, or at once for a partition claimed
    /// since the last read, and pauses, resumes or restarts the partitions this node holds accordingly.
    /// </summary>
    private async Task ObeyControlAsync(List<PartitionWork> works, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (works.Count == 0 || (works.All(w => w.RestartGeneration is not null) && now - _controlReadAt < _options.ControlPollInterval))
        {
            return;
        }

        var controls = await _store.Control.ReadAsync(ProjectionName, cancellationToken).ConfigureAwait(false);
        _controlReadAt = now;
        foreach (var work in works)
        {
            var control = controls.GetValueOrDefault(work.Partition);
            if (control.Paused && !work.Paused)
            {
                work.Paused = true;
                await MoveAsync(work, ProjectionState.Paused, cancellationToken).ConfigureAwait(false);
                NpgsqlLog.PartitionPaused(_logger, ProjectionName, NodeId, work.Partition);
            }
            else if (!control.Paused && work.Paused)
            {
                // Resuming also retries a partition that was faulted when it was paused.
                (work.Paused, work.Halted) = (false, false);
                await MoveAsync(work, ProjectionState.CatchingUp, cancellationToken).ConfigureAwait(false);
                NpgsqlLog.PartitionResumed(_logger, ProjectionName, NodeId, work.Partition);
            }
            else if (work.Halted && work.RestartGeneration is { } seen && control.RestartGeneration != seen)
            {
                work.Halted = false;
                work.Checkpoint = null;
                await MoveAsync(work, ProjectionState.CatchingUp, cancellationToken).ConfigureAwait(false);
                NpgsqlLog.PartitionRestarted(_logger, ProjectionName, NodeId, work.Partition);
            }

            work.RestartGeneration = control.RestartGeneration;
        }
    }

    private async Task MoveAsync(PartitionWork work, ProjectionState target, CancellationToken cancellationToken)
    {
        var previous = work.State.Current;
        if (work.State.TryTransitionTo(target) && previous != target)
        {
            NpgsqlLog.PartitionStateChanged(_logger, ProjectionName, work.Partition, previous, target);
        }

        await SaveStateAsync(work, work.State.Current, null, cancellationToken).ConfigureAwait(false);
        work.SavedError = null;
        work.StateSaved = true;
    }

    /// <summary>Records the partition's state and error while this node still holds its lease (a lost lease writes nothing).</summary>
    private Task<CheckpointWrite> SaveStateAsync(PartitionWork work, ProjectionState state, string? error, CancellationToken cancellationToken) =>
        _checkpoints.RecordStateAsync(_applier.Checkpoints, work.Partition, state, error, Fence(work), cancellationToken);

    private CheckpointFence Fence(PartitionWork work) => new(NodeId, work.Lease.Token);

    private void ThrowIfFenced(PartitionWork work, CheckpointWrite write)
    {
        if (write == CheckpointWrite.Fenced)
        {
            throw new LeaseLostException(ProjectionName, work.Partition, NodeId, work.Lease.Token);
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, _time, cancellationToken).ConfigureAwait(false);
                await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        int[] believed;
        lock (_gate)
        {
            believed = [.. _owned.Keys];
        }

        LeaseHeartbeat beat;
        try
        {
            beat = await _leases.HeartbeatAsync(believed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Leases expire if this persists; the fence then keeps this node from committing.
            NpgsqlLog.HeartbeatFailed(_logger, ProjectionName, NodeId, ex);
            return;
        }

        lock (_gate)
        {
            foreach (var lease in beat.Owned)
            {
                if (!_owned.TryGetValue(lease.Partition, out var work) || work.Lease != lease)
                {
                    _owned[lease.Partition] = new PartitionWork(ProjectionName, lease);
                }
            }

            foreach (var partition in _owned.Keys.Where(p => beat.Owned.All(l => l.Partition != p)).ToList())
            {
                _owned[partition].Released = beat.Released.Contains(partition);
                _owned.Remove(partition);
            }
        }

        if (beat.Lost.Count > 0)
        {
            Interlocked.Add(ref _leasesLost, beat.Lost.Count);
            foreach (var partition in beat.Lost)
            {
                NpgsqlLog.LeaseLost(_logger, ProjectionName, NodeId, partition, null);
            }
        }

        if (beat.Released.Count > 0)
        {
            NpgsqlLog.PartitionsReleased(_logger, ProjectionName, NodeId, List(beat.Released), beat.LiveNodes);
        }

        if (beat.Claimed.Count > 0)
        {
            NpgsqlLog.PartitionsClaimed(_logger, ProjectionName, NodeId, List(beat.Claimed), beat.LiveNodes);
            _wake.Set();
        }
    }

    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _leases.ReleaseAllAsync(timeout.Token).ConfigureAwait(false);
            NpgsqlLog.RunnerStopped(_logger, ProjectionName, NodeId);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The leases then expire after LeaseDuration.
            NpgsqlLog.HeartbeatFailed(_logger, ProjectionName, NodeId, ex);
        }
    }

    private List<PartitionWork> Snapshot()
    {
        lock (_gate)
        {
            return [.. _owned.Values.OrderBy(w => w.Partition)];
        }
    }

    private void Drop(PartitionWork work)
    {
        lock (_gate)
        {
            if (_owned.TryGetValue(work.Partition, out var current) && ReferenceEquals(current, work))
            {
                _owned.Remove(work.Partition);
            }
        }
    }

    private void OnBatchApplied(BatchAppliedEventArgs args)
    {
        try
        {
            BatchApplied?.Invoke(this, args);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            NpgsqlLog.BatchAppliedHandlerFailed(_logger, ProjectionName, ex);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string List(IEnumerable<int> partitions) => string.Join(", ", partitions.Select(p => p.ToString(CultureInfo.InvariantCulture)));
}
