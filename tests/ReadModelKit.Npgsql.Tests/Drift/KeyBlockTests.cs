using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class KeyBlockTests
{
    [Fact]
    public void Splitting_covers_the_parent_with_adjacent_blocks_and_keeps_open_ends_open()
    {
        var cases =
            from lower in Gen.Elements<int?>(null, -10, 0)
            from upper in Gen.Elements<int?>(null, 100, 200)
            from boundaries in Gen.ListOf(Gen.Choose(1, 99)).Select(b => b.Distinct().Order().ToList())
            select (lower, upper, boundaries);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            IReadOnlyList<object?>? Bound(int? v) => v is null ? null : [v];
            var parent = new KeyBlock(Bound(c.lower), Bound(c.upper));
            var children = parent.Split(c.boundaries.Select(b => (IReadOnlyList<object?>)[b]).ToList());
            Assert.Equal(c.boundaries.Count + 1, children.Count);
            Assert.Same(parent.Lower, children[0].Lower);
            Assert.Same(parent.Upper, children[^1].Upper);
            for (var i = 1; i < children.Count; i++)
            {
                Assert.Same(children[i - 1].Upper, children[i].Lower);
            }

            // Every integer key in the parent falls in exactly one child.
            for (var key = (c.lower ?? -20) + 1; key <= (c.upper ?? 210); key++)
            {
                Assert.Equal(1, children.Count(b => (b.Lower is null || key > (int)b.Lower[0]!) && (b.Upper is null || key <= (int)b.Upper[0]!)));
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Everything_is_open_at_both_ends() =>
        Assert.Equal("(-∞, +∞]", KeyBlock.Everything.ToString());
}
