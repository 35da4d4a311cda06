using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using static ReadModelKit.Npgsql.Drift.CandidateResolver;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class CandidateResolverTests
{
    private static readonly RowKey Key = new("t1", 7);
    private static readonly DriftDifference Seen = new(Key, DriftKind.Changed, """{"status": "closed"}""", """{"status": "open"}""");

    [Fact]
    public void A_key_that_agrees_after_catch_up_was_only_lag() =>
        Assert.Equal(Verdict.Cleared, Judge(Seen, current: null, recheckCaughtUp: false));

    [Fact]
    public void A_difference_in_a_caught_up_recheck_is_real() =>
        Assert.Equal(Verdict.Confirmed, Judge(Seen, Seen with { Expected = """{"status": "archived"}""" }, recheckCaughtUp: true));

    [Fact]
    public void The_same_difference_with_an_unchanged_source_row_is_real_even_while_new_writes_flow() =>
        Assert.Equal(Verdict.Confirmed, Judge(Seen, Seen with { Actual = """{"status": "stale"}""" }, recheckCaughtUp: false));

    [Fact]
    public void A_source_row_that_moved_again_stays_a_candidate()
    {
        Assert.Equal(Verdict.StillCandidate, Judge(Seen, Seen with { Expected = """{"status": "archived"}""" }, recheckCaughtUp: false));
        Assert.Equal(Verdict.StillCandidate, Judge(Seen, Seen with { Kind = DriftKind.Extra, Expected = null }, recheckCaughtUp: false));
    }

    [Fact]
    public void A_pass_is_caught_up_when_not_lag_aware_or_the_projection_reached_the_source() 
    {
        Assert.True(new DriftPass(10, 0, LagAware: false).CaughtUp);
        Assert.True(new DriftPass(10, 10, LagAware: true).CaughtUp);
        Assert.False(new DriftPass(10, 9, LagAware: true).CaughtUp);
    }
}
