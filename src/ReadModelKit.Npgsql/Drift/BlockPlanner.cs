namespace ReadModelKit.Npgsql.Drift;

/// <summary>Pure arithmetic of cross-database blocks: how many blocks the first level has, and how far each level splits.</summary>
internal static class BlockPlanner
{
    /// <summary>
    /// The most groups one pass asks a side for (same-database chunks, cross-database blocks of a level): beyond it the aggregation's
    /// hash table outgrows the CPU caches and costs more than the extra rows a larger group makes the next step read.
    /// </summary>
    public const int MaxGroups = 1 << 14;

    /// <summary>The most first-level blocks a check starts with.</summary>
    public const int MaxRootBlocks = MaxGroups;

    /// <summary>The most sub-blocks one level asks each side for when it splits wider than the configured fan-out.</summary>
    public const long MaxBlocksPerLevel = MaxGroups;

    /// <summary>The largest block modulus (block ids stay far from overflowing <c>int8</c>).</summary>
    public const long MaxModulus = 1L << 60;

    /// <summary>How many top-level blocks of about <paramref name="blockSize"/> rows a table of <paramref name="estimatedRows"/> rows needs (at least 1).</summary>
    public static int RootBlocks(double estimatedRows, int blockSize) =>
        estimatedRows <= blockSize ? 1 : (int)Math.Min(MaxRootBlocks, Math.Ceiling(estimatedRows / blockSize));

    /// <summary>
    /// How many sub-blocks each differing block of the next level splits into. Every level costs one scan per side, so a level splits
    /// wide enough that the largest differing block's sub-blocks hold about half <paramref name="leafThreshold"/> rows (they are then
    /// compared as leaves, with no further level), as long as the level asks for at most <see cref="MaxBlocksPerLevel"/> sub-blocks in
    /// all; never less than <paramref name="fanOut"/>, never past <see cref="MaxModulus"/>.
    /// </summary>
    /// <param name="largestParentRows">Rows of the fullest differing block, on its fuller side.</param>
    /// <param name="differingParents">How many blocks split at this level.</param>
    /// <param name="modulus">The current level's block modulus.</param>
    /// <param name="fanOut">The configured minimum fan-out.</param>
    /// <param name="leafThreshold">The configured leaf threshold.</param>
    public static long ChildFanOut(long largestParentRows, int differingParents, long modulus, int fanOut, int leafThreshold)
    {
        var toLeaves = (long)Math.Ceiling(largestParentRows / Math.Max(1.0, leafThreshold / 2.0));
        var withinBudget = MaxBlocksPerLevel / Math.Max(1, differingParents);
        var wanted = Math.Max(fanOut, Math.Min(toLeaves, withinBudget));
        return Math.Max(1, Math.Min(wanted, MaxModulus / Math.Max(1, modulus)));
    }
}
