namespace ReadModelKit.Npgsql.Drift;

/// <summary>Sizes and row hash of a cross-database drift check (<see cref="DriftStrategy.CrossDatabase"/>). Plain and bindable; every default is stated.</summary>
public sealed class CrossDatabaseDriftOptions
{
    /// <summary>
    /// Target rows per first-level block (blocks are cut by a hash of the key; at most 16,384 blocks). Default 64: every level costs one
    /// scan per side, so the first level starts at leaf size, and small drift is fetched in one more round (the rows of the differing
    /// blocks) with no level in between; tables above about 1M rows start with larger blocks.
    /// </summary>
    public int BlockSize { get; set; } = 64;

    /// <summary>
    /// The least number of sub-blocks a differing block is split into. Default 32. A level splits wider when that takes the differing
    /// blocks to leaf size in one step (at most 65,536 sub-blocks per level), since every level costs one scan per side.
    /// </summary>
    public int FanOut { get; set; } = 32;

    /// <summary>A differing block with at most this many rows on both sides is compared row by row (key and row hash). Default 128.</summary>
    public int LeafThreshold { get; set; } = 128;

    /// <summary>How rows are hashed so that both servers compute the same value. Default <see cref="DriftRowHash.Auto"/>.</summary>
    public DriftRowHash RowHash { get; set; } = DriftRowHash.Auto;

    /// <summary>Adds every problem of these options to <paramref name="errors"/>.</summary>
    internal void Validate(List<string> errors)
    {
        if (BlockSize < 1)
        {
            errors.Add($"CrossDatabase.BlockSize is {BlockSize}: it must be at least 1.");
        }

        if (LeafThreshold < 1)
        {
            errors.Add($"CrossDatabase.LeafThreshold is {LeafThreshold}: it must be at least 1.");
        }

        if (FanOut < 2)
        {
            errors.Add($"CrossDatabase.FanOut is {FanOut}: a block must split into at least 2 sub-blocks.");
        }

        if (!Enum.IsDefined(RowHash))
        {
            errors.Add($"CrossDatabase.RowHash {RowHash} is not defined: use one of {string.Join(", ", Enum.GetNames<DriftRowHash>())}.");
        }
    }
}
