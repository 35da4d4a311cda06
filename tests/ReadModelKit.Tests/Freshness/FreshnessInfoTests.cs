using System.Text.Json;
using ReadModelKit.Contracts;
using ReadModelKit.Freshness;
using ReadModelKit.Lifecycle;
using ReadModelKit.Serialization;

namespace ReadModelKit.Tests.Freshness;

public sealed class FreshnessInfoTests
{
    private static readonly DateTimeOffset Now = new(2026, 7, 5, 3, 10, 5, TimeSpan.Zero);

    [Fact]
    public void Stale_exactly_when_lag_exceeds_max_or_state_cannot_be_trusted()
    {
        var input = from maxLag in Gen.Choose(1, 120)
                    from pendingAge in Gen.Choose(0, 300)
                    from hasPending in ArbMap.Default.GeneratorFor<bool>()
                    from state in Gen.Elements(Enum.GetValues<ProjectionState>())
                    select (maxLag, pendingAge, hasPending, state);
        Prop.ForAll(input.ToArbitrary(), x =>
            {
                var contract = new FreshnessContract(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(x.maxLag));
                DateTimeOffset? pending = x.hasPending ? Now.AddSeconds(-x.pendingAge) : null;
                var info = FreshnessInfo.Compute(contract, x.state, Now.AddSeconds(-1), Now.AddSeconds(-2), pending, Now);
                var lag = x.hasPending ? x.pendingAge : 0;
                var untrusted = x.state is ProjectionState.Faulted or ProjectionState.Stale or ProjectionState.Retired;
                Assert.Equal(lag, info.LagSeconds);
                Assert.Equal(untrusted || lag > x.maxLag, info.Stale);
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Never_projected_is_stale_with_unknown_lag()
    {
        var info = FreshnessInfo.Compute(FreshnessContract.Default, ProjectionState.CatchingUp, null, null, null, Now);

        Assert.True(info.Stale);
        Assert.Null(info.LagSeconds);
    }

    [Fact]
    public void Json_has_the_seed_shape()
    {
        var info = FreshnessInfo.Compute(FreshnessContract.Default, ProjectionState.Live, Now, Now.AddSeconds(-4), null, Now);

        var json = JsonSerializer.Serialize(info, ReadModelKitJsonContext.Default.FreshnessInfo);

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("2026-07-05T03:10:05+00:00", root.GetProperty("projectedAt").GetString());
        Assert.Equal("2026-07-05T03:10:01+00:00", root.GetProperty("sourceWatermark").GetString());
        Assert.Equal(30, root.GetProperty("maxStalenessSeconds").GetDouble());
        Assert.False(root.GetProperty("stale").GetBoolean());
        Assert.Equal("Live", root.GetProperty("state").GetString());
    }
}
