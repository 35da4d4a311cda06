namespace ReadModelKit.Npgsql.Runner;

/// <summary>
/// A wake-up that is never lost: <see cref="Arm"/> before looking for work returns a task that any later <see cref="Set"/> completes,
/// so a notification arriving while the loop is busy still ends the next idle wait at once.
/// </summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Returns the task the next <see cref="Set"/> completes (a new one when the last was already completed).</summary>
    public Task Arm()
    {
        while (true)
        {
            var current = Volatile.Read(ref _current);
            if (!current.Task.IsCompleted)
            {
                return current.Task;
            }

            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Interlocked.CompareExchange(ref _current, next, current) == current)
            {
                return next.Task;
            }
        }
    }

    /// <summary>Completes the armed task.</summary>
    public void Set() => Volatile.Read(ref _current).TrySetResult();

    /// <summary>Waits until <paramref name="armed"/> completes or <paramref name="timeout"/> passes.</summary>
    /// <returns>Whether the signal fired.</returns>
    public static async Task<bool> WaitAsync(Task armed, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (armed.IsCompleted)
        {
            return true;
        }

        using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, delayCancellation.Token);
        var first = await Task.WhenAny(armed, delay).ConfigureAwait(false);
        await delayCancellation.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == armed;
    }
}
