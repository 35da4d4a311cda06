namespace ReadModelKit.Npgsql.Drift;

/// <summary>Pure arithmetic of cross-database blocks: how many blocks the first level has.</summary>
internal static class BlockPlanner
{
    /// <summary>The most first-level blocks a check starts with.</summary>
    public const int MaxRootBlocks = 4096;

    /// <summary>How many top-level blocks of about <paramref name="blockSize"/> rows a table of <paramref name="estimatedRows"/> rows needs (at least 1).</summary>
    public static int RootBlocks(double estimatedRows, int blockSize) =>
        estimatedRows <= blockSize ? 1 : (int)Math.Min(MaxRootBlocks, Math.Ceiling(estimatedRows / blockSize));
}
