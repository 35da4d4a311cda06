using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class BlockPlannerTests
{
    [Theory]
    [InlineData(0, 100_000, 1)]
    [InlineData(100_000, 100_000, 1)]
    [InlineData(100_001, 100_000, 2)]
    [InlineData(1_000_000, 100_000, 10)]
    [InlineData(1e12, 100, BlockPlanner.MaxRootBlocks)]
    public void Root_blocks_cover_the_estimate_at_the_block_size(double rows, int blockSize, int expected) =>
        Assert.Equal(expected, BlockPlanner.RootBlocks(rows, blockSize));

    [Fact]
    public void A_child_block_by_key_hash_always_lies_in_its_parent_block()
    {
        // Cross-database levels cut blocks as abs(kh % m) with m multiplied by the fan-out at each level (SQL int8 % truncates like C#).
        var hashes = Gen.OneOf(ArbMap.Default.GeneratorFor<long>(), Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L));
        var cases = from kh in hashes from m in Gen.Choose(1, 5000) from fanOut in Gen.Choose(2, 64) select (kh, (long)m, (long)fanOut);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var parent = Math.Abs(c.kh % c.Item2);
            var child = Math.Abs(c.kh % (c.Item2 * c.Item3));
            Assert.Equal(parent, child % c.Item2);
            Assert.InRange(child, 0, (c.Item2 * c.Item3) - 1);
        }).QuickCheckThrowOnFailure();
    }
}
