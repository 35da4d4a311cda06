using ReadModelKit.Npgsql.Resilience;

namespace ReadModelKit.Npgsql.Tests.Resilience;

public sealed class BackoffTests
{
    [Fact]
    public void Every_delay_lies_between_half_and_all_of_its_doubling_step_and_never_above_the_cap()
    {
        var first = TimeSpan.FromMilliseconds(50);
        var cap = TimeSpan.FromSeconds(2);
        Prop.ForAll(Gen.Choose(0, 200).ToArbitrary(), attempt =>
            {
                // Oracle: the step written out as repeated doubling, stopped at the cap.
                var step = first;
                for (var i = 0; i < attempt && step < cap; i++)
                {
                    step = step * 2 < cap ? step * 2 : cap;
                }

                var delay = Backoff.Delay(first, cap, attempt);
                Assert.InRange(delay, step / 2, step);
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Delays_of_one_step_differ_so_nodes_do_not_retry_in_step()
    {
        var delays = Enumerable.Range(0, 50).Select(_ => Backoff.Delay(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), 3)).ToHashSet();

        Assert.True(delays.Count > 1, "fifty draws of the same step all gave the same delay");
    }
}
