using System.Diagnostics;
using System.Globalization;
using System.Text;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Freshness;
using ReadModelKit.Testing.Text;

namespace ReadModelKit.Testing.Waiting;

/// <summary>
/// Waits for a projection in tests, and tells the truth when it does not get there: it fails at once with the projection's error
/// when a partition faults or an event is dead-lettered during the wait, and with the projection's status (lag, pending and
/// held-back events, the oldest running writer, leases and runner nodes) when it times out. Never sleep to wait for a projection.
/// </summary>
public static class ProjectionWait
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Waits until <paramref name="projectionName"/> has applied the transaction of <paramref name="position"/> (a token from <c>OutboxWriter.AppendAsync</c>) and every earlier one.</summary>
    /// <param name="store">The initialized store.</param>
    /// <param name="projectionName">The projection.</param>
    /// <param name="position">The position token.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ProjectionWaitException">A partition faulted, an event was dead-lettered, or the timeout passed.</exception>
    public static Task UntilAppliedAsync(NpgsqlReadModelStore store, string projectionName, StreamPosition position, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return WaitAsync(store, projectionName, timeout, $"applied position {position}", async ct =>
        {
            try
            {
                await store.Freshness.WaitForPositionAsync(projectionName, position, TimeSpan.Zero, ct).ConfigureAwait(false);
                return true;
            }
            catch (ReadYourWritesTimeoutException)
            {
                return false;
            }
        }, cancellationToken);
    }

    /// <summary>Waits until an outbox-fed projection has applied every event committed so far (nothing pending, nothing held back).</summary>
    /// <param name="store">The initialized store.</param>
    /// <param name="projectionName">The projection, which must read the outbox.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ReadModelKitException">The projection does not read the outbox (wait for a position instead).</exception>
    /// <exception cref="ProjectionWaitException">A partition faulted, an event was dead-lettered, or the timeout passed.</exception>
    public static Task UntilCaughtUpAsync(NpgsqlReadModelStore store, string projectionName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var source = store.GetApplier(projectionName).Contract.Source;
        if (source.Kind != SourceKind.Outbox)
        {
            throw new ReadModelKitException($"Projection '{projectionName}' reads {source.Kind} '{source.Name}', so only its checkpoint shows progress: wait with ProjectionWait.UntilAppliedAsync for the position you delivered.", projectionName);
        }

        return WaitAsync(store, projectionName, timeout, "caught up with the outbox", async ct =>
        {
            var status = await store.Freshness.GetStatusAsync(projectionName, ct).ConfigureAwait(false);
            return status.PendingEvents == 0 && !status.PendingCapped;
        }, cancellationToken);
    }

    private static async Task WaitAsync(NpgsqlReadModelStore store, string projectionName, TimeSpan timeout, string goal, Func<CancellationToken, Task<bool>> arrived, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var clock = Stopwatch.StartNew();
        var before = (await store.DeadLetters.ListAsync(projectionName, cancellationToken).ConfigureAwait(false)).Select(d => d.Id).ToHashSet();
        var poll = FirstPoll;
        while (true)
        {
            var status = await store.Freshness.GetStatusAsync(projectionName, cancellationToken).ConfigureAwait(false);
            var faulted = status.Partitions.Where(p => p.State == ProjectionState.Faulted).ToList();
            if (faulted.Count > 0)
            {
                throw new ProjectionWaitException(projectionName, ProjectionWaitFailure.Faulted, status, [],
                    $"Projection '{projectionName}' cannot get {goal}: {string.Join("; ", faulted.Select(p => $"partition {p.Partition} is Faulted at position {p.Position}: {p.LastError}"))}. Fix the handler or the event, then restart the runner.");
            }

            var fresh = (await store.DeadLetters.ListAsync(projectionName, cancellationToken).ConfigureAwait(false)).Where(d => !before.Contains(d.Id)).ToList();
            if (fresh.Count > 0)
            {
                var text = new StringBuilder($"Projection '{projectionName}' dead-lettered {fresh.Count} event(s) while waiting until it {goal}, so their rows will not show:");
                foreach (var letter in fresh)
                {
                    text.AppendLine().Append(CultureInfo.InvariantCulture, $"  - {letter.Status} after {letter.Attempts} attempt(s): {EventText.Format(letter.Envelope)}: {letter.Error}");
                }

                throw new ProjectionWaitException(projectionName, ProjectionWaitFailure.DeadLettered, status, fresh, text.ToString());
            }

            if (await arrived(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new ProjectionWaitException(projectionName, ProjectionWaitFailure.TimedOut, status, [],
                    $"Projection '{projectionName}' has not {goal} within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s. {Describe(status)}");
            }

            await Task.Delay(poll < left ? poll : left, cancellationToken).ConfigureAwait(false);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, LongestPoll.Ticks));
        }
    }

    /// <summary>The status as one paragraph: state, pending and held-back events, lag, partitions, the oldest writer, runners.</summary>
    /// <param name="status">The status.</param>
    public static string Describe(ProjectionStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Status: {status.State}, {status.PendingEvents}{(status.PendingCapped ? "+" : "")} event(s) pending");
        text.Append(CultureInfo.InvariantCulture, $" ({status.HeldBackEvents} held back behind an older running transaction), lag {status.Lag.TotalSeconds:0.#} s.");
        foreach (var p in status.Partitions)
        {
            text.Append(CultureInfo.InvariantCulture, $" Partition {p.Partition}: position {p.Position}, {p.State}, {(p.LeaseLive ? $"leased by {p.Owner}" : "no live lease")}{(p.LastError is null ? "" : $", last error: {p.LastError}")}.");
        }

        if (status.OldestWriter is { } w)
        {
            text.Append(CultureInfo.InvariantCulture, $" Oldest running writer: pid {w.ProcessId} '{w.ApplicationName}' ({w.State}) for {w.Age.TotalSeconds:0.#} s.");
        }

        text.Append(CultureInfo.InvariantCulture, $" Live runner nodes: {status.LiveNodes}.");
        if (status.LiveNodes == 0 && !status.Partitions.Any(p => p.LeaseLive))
        {
            text.Append(" Nothing is running this projection: start a ProjectionRunner for it (or apply the events yourself).");
        }

        return text.ToString();
    }
}
