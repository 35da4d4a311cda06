namespace ReadModelKit.Npgsql.Drift;

/// <summary>Options of one drift check. Plain and bindable; every default is stated. <see cref="Validate"/> lists every problem.</summary>
public sealed class DriftCheckOptions
{
    /// <summary>Full (every key in scope) or Sample (a few random key ranges). Default <see cref="DriftCheckMode.Full"/>.</summary>
    public DriftCheckMode Mode { get; set; } = DriftCheckMode.Full;

    /// <summary>Which keys to check. Default <see cref="DriftScope.All"/>.</summary>
    public DriftScope Scope { get; set; } = DriftScope.All;

    /// <summary>
    /// Rows per chunk of a same-database check (default 64). The check cuts the keys into chunks by a hash of the key, compares each chunk's
    /// row count and row-hash sum on both sides in one pass, and joins row by row only the chunks that differ: smaller chunks mean fewer rows
    /// joined per drifted key, more groups in the first pass.
    /// </summary>
    public int ChunkSize { get; set; } = 64;

    /// <summary>How many random key ranges a sample check compares. Default 8.</summary>
    public int SampleRanges { get; set; } = 8;

    /// <summary>Read-model rows per sampled key range. Default 10,000.</summary>
    public int SampleRangeRows { get; set; } = 10_000;

    /// <summary>
    /// Target rows per first-level block of a cross-database check (blocks are cut by a hash of the key). Default 10,000: every level costs one
    /// scan per side, so a 1M-row table starts at 100 blocks and, for small drift, reaches leaf-sized blocks in one more level.
    /// </summary>
    public int BlockSize { get; set; } = 10_000;

    /// <summary>
    /// The least number of sub-blocks a differing cross-database block is split into. Default 32. A level splits wider when that takes the
    /// differing blocks to leaf size in one step (at most 65,536 sub-blocks per level), since every level costs one scan per side.
    /// </summary>
    public int FanOut { get; set; } = 32;

    /// <summary>A differing cross-database block with at most this many rows on both sides is compared row by row (key and row hash). Default 64.</summary>
    public int LeafThreshold { get; set; } = 64;

    /// <summary>How a cross-database check hashes rows. Default <see cref="DriftRowHash.Auto"/>.</summary>
    public DriftRowHash RowHash { get; set; } = DriftRowHash.Auto;

    /// <summary>Whether confirmed drift is written to the <c>drift_incident</c> table (needed by <see cref="DriftReconciler.RepairAsync(DriftReport, DriftRepairOptions?, CancellationToken)"/>). Default true.</summary>
    public bool RecordIncidents { get; set; } = true;

    /// <summary>At most this many incidents are recorded per check; the report says when more drift was found. Default 100,000.</summary>
    public int MaxIncidents { get; set; } = 100_000;

    /// <summary>How many differences the report keeps as examples. Default 20.</summary>
    public int MaxSamples { get; set; } = 20;

    /// <summary>
    /// Reads the source's position inside the check's source snapshot (for example <c>SELECT max(position) FROM outbox</c>).
    /// When set, drift found while the projection's position is behind it is only a candidate: the check waits until the projection
    /// passes that position and re-checks those keys before recording anything. When null (the default) the check assumes the
    /// projection is caught up (a quiet source, or a projection written in the source's own transactions).
    /// </summary>
    public DriftPositionReader? SourcePosition { get; set; }

    /// <summary>
    /// Reads the projection's applied position inside the check's read-model snapshot. Default (null): the lowest checkpoint
    /// position of the projection's partitions in the ReadModelKit schema.
    /// </summary>
    public DriftPositionReader? ProjectionPosition { get; set; }

    /// <summary>How long to wait for the projection to pass the source position before re-checking candidates. Default 1 minute.</summary>
    public TimeSpan CatchUpTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often to read the projection's position while waiting. Default 200 ms.</summary>
    public TimeSpan CatchUpPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How many re-check rounds a candidate gets before it is reported as unconfirmed (and not recorded). Default 3.</summary>
    public int MaxRechecks { get; set; } = 3;

    /// <summary>At most this many candidates are kept while the projection is behind; beyond that the check stops and says so. Default 100,000.</summary>
    public int MaxCandidates { get; set; } = 100_000;

    /// <summary>
    /// Same database: up to about this many rows per side in the differing chunks, pass 2 reads (key, row hash) of those rows on both
    /// connections at once and compares only the keys that differ; above it (drift spread across the table), it streams one join of the
    /// chunks, so client memory stays bounded. Internal: tests lower it to exercise both paths.
    /// </summary>
    internal long ChunkRowsLimit { get; set; } = 100_000;

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Positive(ChunkSize, nameof(ChunkSize), errors);
        Positive(SampleRanges, nameof(SampleRanges), errors);
        Positive(SampleRangeRows, nameof(SampleRangeRows), errors);
        Positive(BlockSize, nameof(BlockSize), errors);
        Positive(LeafThreshold, nameof(LeafThreshold), errors);
        Positive(MaxCandidates, nameof(MaxCandidates), errors);
        if (FanOut < 2)
        {
            errors.Add($"FanOut is {FanOut}: a block must split into at least 2 sub-blocks.");
        }

        if (MaxIncidents < 0 || MaxSamples < 0 || MaxRechecks < 0)
        {
            errors.Add("MaxIncidents, MaxSamples and MaxRechecks cannot be negative.");
        }

        if (CatchUpTimeout < TimeSpan.Zero || CatchUpPollInterval <= TimeSpan.Zero)
        {
            errors.Add("CatchUpTimeout cannot be negative and CatchUpPollInterval must be positive.");
        }

        if (Scope is null)
        {
            errors.Add("Scope is null: use DriftScope.All.");
        }

        if (!Enum.IsDefined(Mode))
        {
            errors.Add($"Mode {Mode} is not defined: use one of {string.Join(", ", Enum.GetNames<DriftCheckMode>())}.");
        }

        if (!Enum.IsDefined(RowHash))
        {
            errors.Add($"RowHash {RowHash} is not defined: use one of {string.Join(", ", Enum.GetNames<DriftRowHash>())}.");
        }

        return errors;
    }

    private static void Positive(int value, string name, List<string> errors)
    {
        if (value < 1)
        {
            errors.Add($"{name} is {value}: it must be at least 1.");
        }
    }
}
