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

    [Fact]
    public void A_level_splits_at_least_by_the_fan_out_within_the_block_budget_and_the_modulus_limit()
    {
        var cases = from rows in Gen.Choose(0, 5_000_000)
                    from parents in Gen.Choose(1, 200_000)
                    from modulus in Gen.OneOf(Gen.Choose(1, 100_000).Select(m => (long)m), Gen.Elements(BlockPlanner.MaxModulus / 64, BlockPlanner.MaxModulus / 2))
                    from fanOut in Gen.Choose(2, 64)
                    from leaf in Gen.Choose(1, 1000)
                    select (rows: (long)rows, parents, modulus, fanOut, leaf);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var f = BlockPlanner.ChildFanOut(c.rows, c.parents, c.modulus, c.fanOut, c.leaf);
            Assert.True(c.modulus * f <= BlockPlanner.MaxModulus, $"modulus {c.modulus} × {f} passes the limit");
            if (c.modulus <= BlockPlanner.MaxModulus / c.fanOut)
            {
                Assert.True(f >= c.fanOut, $"split {f} < fan-out {c.fanOut}");
                Assert.True(f == c.fanOut || (long)c.parents * f <= BlockPlanner.MaxBlocksPerLevel, $"{c.parents} × {f} sub-blocks pass the budget");
                var childRows = (double)c.rows / f;
                Assert.True(f == c.fanOut || childRows >= c.leaf / 2.0 - 1, $"split wider ({f}) than leaf size needs");
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_million_row_table_starts_at_leaf_size_and_larger_tables_within_the_group_budget()
    {
        // Default BlockSize 64: a 1M-row table starts with leaf-sized blocks (small drift is fetched in one more round), 10M rows with
        // the most groups a pass asks for.
        Assert.Equal(15_625, BlockPlanner.RootBlocks(1_000_000, 64));
        Assert.Equal(BlockPlanner.MaxGroups, BlockPlanner.RootBlocks(10_000_000, 64));

        // One differing block of 10,000 rows: split straight to leaf size (LeafThreshold 128: blocks of about 64 rows).
        Assert.Equal(157, BlockPlanner.ChildFanOut(10_000, 1, 100, 32, 128));

        // Most of the table differs: the budget keeps the configured fan-out.
        Assert.Equal(32, BlockPlanner.ChildFanOut(1_000_000, BlockPlanner.MaxGroups, BlockPlanner.MaxGroups, 32, 128));
    }
}
