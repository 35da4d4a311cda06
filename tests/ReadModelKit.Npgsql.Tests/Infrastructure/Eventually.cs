using System.Diagnostics;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a timeout passes (never a fixed sleep standing in for a result).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var poll = TimeSpan.FromMilliseconds(10);
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting until {what}.");
            }

            await Task.Delay(poll);
            poll = TimeSpan.FromMilliseconds(Math.Min(poll.TotalMilliseconds * 2, 200));
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, what);
}
