using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class BlockPlannerTests
{
    [Fact]
    public void Quantiles_are_increasing_inside_the_sample_and_split_it_evenly()
    {
        var cases = from count in Gen.Choose(0, 500) from parts in Gen.Choose(1, 64) select (count, parts);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var positions = BlockPlanner.Quantiles(c.count, c.parts);
            Assert.True(positions.Count <= c.parts - 1);
            Assert.All(positions, p => Assert.InRange(p, 0, c.count - 2));
            Assert.True(positions.Zip(positions.Skip(1)).All(p => p.First < p.Second), "positions must increase strictly");
            if (c.count >= c.parts)
            {
                // Every part then gets a boundary, and no part holds more than ceil(count / parts) + 1 sample keys.
                Assert.Equal(c.parts - 1, positions.Count);
                var sizes = positions.Append(c.count - 1).Select((p, i) => p - (i == 0 ? -1 : positions[i - 1])).ToList();
                Assert.True(sizes.Max() <= (c.count + c.parts - 1) / c.parts + 1, $"part sizes {string.Join(",", sizes)}");
            }
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(0, 100_000, 1)]
    [InlineData(100_000, 100_000, 1)]
    [InlineData(100_001, 100_000, 2)]
    [InlineData(1_000_000, 100_000, 10)]
    [InlineData(1e12, 100, BlockPlanner.MaxRootBlocks)]
    public void Root_blocks_cover_the_estimate_at_the_block_size(double rows, int blockSize, int expected) =>
        Assert.Equal(expected, BlockPlanner.RootBlocks(rows, blockSize));

    [Fact]
    public void A_split_step_leaves_every_part_smaller_than_the_block()
    {
        Prop.ForAll(Gen.Choose(2, 1_000_000).ToArbitrary(), Gen.Choose(2, 64).ToArbitrary(), (rows, fanOut) =>
        {
            var step = BlockPlanner.SplitStep(rows, fanOut);
            Assert.InRange(step, 1, rows - 1);
            Assert.True(step * fanOut >= rows, "fan-out parts of one step cover the block");
        }).QuickCheckThrowOnFailure();
    }
}
