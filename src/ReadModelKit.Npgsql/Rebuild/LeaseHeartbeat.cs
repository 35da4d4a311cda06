using ReadModelKit.Npgsql.Resilience;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Keeps a run's lease alive while a step that commits nothing for a long time runs (the gate: its drift check and the application's
/// callback): renews the lease every third of its duration. When a renewal finds the run no longer this node's (taken over or
/// cancelled), it cancels <see cref="Token"/> so the step stops, and <see cref="Lost"/> says why.
/// </summary>
internal sealed class LeaseHeartbeat : IAsyncDisposable
{
    private readonly CancellationTokenSource _step;
    private readonly Task _loop;
    private volatile bool _lost;

    public LeaseHeartbeat(RebuildRunStore runs, RunLease lease, TimeProvider time, CancellationToken cancellationToken)
    {
        _step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = BeatAsync(runs, lease, time, _step.Token);
    }

    /// <summary>The step's token: cancelled by the caller's token, or when the lease was lost.</summary>
    public CancellationToken Token => _step.Token;

    /// <summary>Whether a renewal found the run no longer this node's.</summary>
    public bool Lost => _lost;

    /// <summary>Stops renewing (the step is over).</summary>
    public async ValueTask DisposeAsync()
    {
        await _step.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop stops by cancellation.
        }

        _step.Dispose();
    }

    private async Task BeatAsync(RebuildRunStore runs, RunLease lease, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(lease.Duration / 3, time, cancellationToken).ConfigureAwait(false);
            try
            {
                if (!await runs.RenewLeaseAsync(lease, cancellationToken).ConfigureAwait(false))
                {
                    _lost = true;
                    await _step.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception ex) when (TransientErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                // A lost connection: the next beat tries again, and the step's own fenced write decides in the end.
            }
        }
    }
}
