namespace ReadModelKit.Npgsql.Drift;

/// <summary>Pure arithmetic of block splitting: how many blocks, and which sorted sample positions become boundaries.</summary>
internal static class BlockPlanner
{
    /// <summary>The most top-level blocks a check starts with.</summary>
    public const int MaxRootBlocks = 4096;

    /// <summary>How many top-level blocks of about <paramref name="blockSize"/> rows a table of <paramref name="estimatedRows"/> rows needs (at least 1).</summary>
    public static int RootBlocks(double estimatedRows, int blockSize) =>
        estimatedRows <= blockSize ? 1 : (int)Math.Min(MaxRootBlocks, Math.Ceiling(estimatedRows / blockSize));

    /// <summary>
    /// The positions in a sorted sample of <paramref name="sampleCount"/> distinct keys whose keys split it into <paramref name="parts"/>
    /// parts of about equal size: strictly increasing, at most parts - 1 of them, none at the very end (that would leave an empty last part).
    /// </summary>
    public static IReadOnlyList<int> Quantiles(int sampleCount, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        var positions = new List<int>();
        for (var i = 1; i < parts; i++)
        {
            var position = (int)((long)i * sampleCount / parts) - 1;
            if (position >= 0 && position < sampleCount - 1 && (positions.Count == 0 || position > positions[^1]))
            {
                positions.Add(position);
            }
        }

        return positions;
    }

    /// <summary>The row step between boundaries when a block of <paramref name="rows"/> rows is split into <paramref name="fanOut"/> parts (at least 1).</summary>
    public static long SplitStep(long rows, int fanOut) => Math.Max(1, (rows + fanOut - 1) / fanOut);
}
