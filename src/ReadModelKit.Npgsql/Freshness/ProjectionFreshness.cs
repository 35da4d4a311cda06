using ReadModelKit.Events;
using ReadModelKit.Freshness;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Resilience;

namespace ReadModelKit.Npgsql.Freshness;

/// <summary>
/// How fresh each projection is: the freshness block an API returns beside read-model data, the detailed per-partition status,
/// and the read-your-writes wait for the position token <c>store.Outbox.AppendAsync</c> returned. Thread-safe.
/// </summary>
public sealed class ProjectionFreshness
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(100);
    private readonly ProjectionStatusReader _reader;
    private readonly Func<string, ProjectionApplier> _appliers;
    private readonly TimeProvider _time;

    internal ProjectionFreshness(ProjectionStatusReader reader, Func<string, ProjectionApplier> appliers, TimeProvider time)
    {
        _reader = reader;
        _appliers = appliers;
        _time = time;
    }

    /// <summary>The freshness block of <paramref name="projectionName"/> (seed 000 §14): projectedAt, sourceWatermark, maxStalenessSeconds, lag, stale, state.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<FreshnessInfo> GetAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var contract = _appliers(projectionName).Contract;
        var status = await _reader.ReadAsync(contract, cancellationToken).ConfigureAwait(false);
        return FreshnessInfo.Compute(contract.Freshness, status.State, status.ProjectedAt, status.SourceWatermark, status.OldestPendingAt, status.ReadAt);
    }

    /// <summary>The checkpoint, lag, pending events, lease and state of every partition of <paramref name="projectionName"/>.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<ProjectionStatus> GetStatusAsync(string projectionName, CancellationToken cancellationToken = default) =>
        _reader.ReadAsync(_appliers(projectionName).Contract, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="projectionName"/> has applied every event of the transaction that returned <paramref name="position"/>
    /// (and every earlier committed event of its stream), polling the checkpoints briefly. For sources other than the outbox it waits
    /// until every partition's checkpoint reaches <paramref name="position"/>.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="position">The position token from <c>store.Outbox.AppendAsync</c>.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ReadYourWritesTimeoutException">The projection did not get there within <paramref name="timeout"/>.</exception>
    /// <remarks>Transient database errors (a restart, a cut connection) are retried until the timeout; the last one is thrown if the database is still unreachable then.</remarks>
    public async Task WaitForPositionAsync(string projectionName, StreamPosition position, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var contract = _appliers(projectionName).Contract;
        var started = _time.GetTimestamp();
        var poll = FirstPoll;
        while (true)
        {
            try
            {
                if (await _reader.HasPassedAsync(contract, position, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (TransientErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested && _time.GetElapsedTime(started) < timeout)
            {
                // The database is restarting or the connection was cut: keep polling until the timeout.
            }

            var left = timeout - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                var status = await _reader.ReadAsync(contract, cancellationToken).ConfigureAwait(false);
                throw new ReadYourWritesTimeoutException(projectionName, position, timeout, status.PendingEvents, status.Lag);
            }

            await Task.Delay(poll < left ? poll : left, _time, cancellationToken).ConfigureAwait(false);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, LongestPoll.Ticks));
        }
    }
}
