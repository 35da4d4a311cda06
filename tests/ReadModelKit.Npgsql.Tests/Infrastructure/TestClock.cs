namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>
/// The system clock, shifted by <see cref="Offset"/> (to age events past a max lag without waiting), with timers that can be frozen
/// (a frozen node: its heartbeats and idle waits never fire, as if the process were paused).
/// </summary>
public sealed class TestClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public bool TimersFrozen { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(s =>
        {
            if (!TimersFrozen)
            {
                callback(s);
            }
        }, state, dueTime, period);
}
