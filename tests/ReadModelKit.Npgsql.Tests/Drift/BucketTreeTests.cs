using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class BucketTreeTests
{
    [Fact]
    public void A_key_lands_in_the_bucket_counting_the_boundaries_below_it()
    {
        var cases =
            from boundaries in Gen.ListOf(Gen.Choose(-50, 50)).Select(b => b.Order().ToArray())
            from key in Gen.Choose(-60, 60)
            select (boundaries, key);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var tree = BucketTree.Build(c.boundaries.Length);
            var bucket = tree.Evaluate(i => c.key <= c.boundaries[i]);
            Assert.Equal(c.boundaries.Count(b => b < c.key), bucket);
            Assert.True(tree.Depth <= Math.Ceiling(Math.Log2(c.boundaries.Length + 1)), $"depth {tree.Depth} for {c.boundaries.Length} boundaries");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_sql_is_a_nested_case_over_the_boundary_conditions()
    {
        Assert.Equal("0", BucketTree.Build(0).ToSql(i => $"k <= b{i}"));
        Assert.Equal("CASE WHEN k <= b0 THEN 0 ELSE 1 END", BucketTree.Build(1).ToSql(i => $"k <= b{i}"));
        Assert.Equal(
            "CASE WHEN k <= b1 THEN CASE WHEN k <= b0 THEN 0 ELSE 1 END ELSE CASE WHEN k <= b2 THEN 2 ELSE 3 END END",
            BucketTree.Build(3).ToSql(i => $"k <= b{i}"));
    }
}
