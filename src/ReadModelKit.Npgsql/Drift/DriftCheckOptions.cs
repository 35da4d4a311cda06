namespace ReadModelKit.Npgsql.Drift;

/// <summary>Options of one drift check. Plain and bindable; every default is stated. <see cref="Validate"/> lists every problem.</summary>
public sealed class DriftCheckOptions
{
    /// <summary>Full (every key in scope) or Sample (a few random key ranges). Default <see cref="DriftCheckMode.Full"/>.</summary>
    public DriftCheckMode Mode { get; set; } = DriftCheckMode.Full;

    /// <summary>Which keys to check. Default <see cref="DriftScope.All"/>.</summary>
    public DriftScope Scope { get; set; } = DriftScope.All;

    /// <summary>Sizes of a same-database check (<see cref="DriftStrategy.SameDatabase"/>); bound from the section <c>SameDatabase</c>.</summary>
    public SameDatabaseDriftOptions SameDatabase { get; set; } = new();

    /// <summary>Sizes and row hash of a cross-database check (<see cref="DriftStrategy.CrossDatabase"/>); bound from the section <c>CrossDatabase</c>.</summary>
    public CrossDatabaseDriftOptions CrossDatabase { get; set; } = new();

    /// <summary>How many random key ranges a sample check compares. Default 8.</summary>
    public int SampleRanges { get; set; } = 8;

    /// <summary>Read-model rows per sampled key range. Default 10,000.</summary>
    public int SampleRangeRows { get; set; } = 10_000;

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
    /// The parallel workers PostgreSQL may add to each statement of a check (<c>max_parallel_workers_per_gather</c>, set in the check's
    /// transactions only); null (an empty value in configuration) keeps the connection's setting (the server's, database's or role's
    /// default, or the connection string's <c>Options</c>). Default 0: a check already reads its two sides on two connections at once,
    /// and workers on top of them compete for the same CPUs (on two cores a drifted 1M-row check took 1.4–1.6 times as long) and take
    /// parallel workers from the application's own queries. Raise it on servers with CPUs to spare.
    /// </summary>
    public int? MaxParallelWorkers { get; set; } = 0;

    /// <summary>The largest <see cref="MaxParallelWorkers"/> (PostgreSQL's limit of <c>max_parallel_workers_per_gather</c>).</summary>
    public const int MaxParallelWorkersLimit = 1024;

    /// <summary>Same as <see cref="SameDatabaseDriftOptions.ChunkSize"/> of <see cref="SameDatabase"/>.</summary>
    [Obsolete("Use SameDatabase.ChunkSize.")]
    public int ChunkSize { get => SameDatabase.ChunkSize; set => SameDatabase.ChunkSize = value; }

    /// <summary>Same as <see cref="CrossDatabaseDriftOptions.BlockSize"/> of <see cref="CrossDatabase"/>.</summary>
    [Obsolete("Use CrossDatabase.BlockSize.")]
    public int BlockSize { get => CrossDatabase.BlockSize; set => CrossDatabase.BlockSize = value; }

    /// <summary>Same as <see cref="CrossDatabaseDriftOptions.FanOut"/> of <see cref="CrossDatabase"/>.</summary>
    [Obsolete("Use CrossDatabase.FanOut.")]
    public int FanOut { get => CrossDatabase.FanOut; set => CrossDatabase.FanOut = value; }

    /// <summary>Same as <see cref="CrossDatabaseDriftOptions.LeafThreshold"/> of <see cref="CrossDatabase"/>.</summary>
    [Obsolete("Use CrossDatabase.LeafThreshold.")]
    public int LeafThreshold { get => CrossDatabase.LeafThreshold; set => CrossDatabase.LeafThreshold = value; }

    /// <summary>Same as <see cref="CrossDatabaseDriftOptions.RowHash"/> of <see cref="CrossDatabase"/>.</summary>
    [Obsolete("Use CrossDatabase.RowHash.")]
    public DriftRowHash RowHash { get => CrossDatabase.RowHash; set => CrossDatabase.RowHash = value; }

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SameDatabase is null || CrossDatabase is null)
        {
            errors.Add("SameDatabase and CrossDatabase cannot be null: leave them at their defaults or set their properties.");
        }

        SameDatabase?.Validate(errors);
        CrossDatabase?.Validate(errors);
        Positive(SampleRanges, nameof(SampleRanges), errors);
        Positive(SampleRangeRows, nameof(SampleRangeRows), errors);
        Positive(MaxCandidates, nameof(MaxCandidates), errors);
        if (MaxIncidents < 0 || MaxSamples < 0 || MaxRechecks < 0)
        {
            errors.Add("MaxIncidents, MaxSamples and MaxRechecks cannot be negative.");
        }

        if (CatchUpTimeout < TimeSpan.Zero || CatchUpPollInterval <= TimeSpan.Zero)
        {
            errors.Add("CatchUpTimeout cannot be negative and CatchUpPollInterval must be positive.");
        }

        if (MaxParallelWorkers is < 0 or > MaxParallelWorkersLimit)
        {
            errors.Add($"MaxParallelWorkers is {MaxParallelWorkers}: it must be between 0 and {MaxParallelWorkersLimit} (PostgreSQL's limit), or null to keep the connection's setting.");
        }

        if (Scope is null)
        {
            errors.Add("Scope is null: use DriftScope.All.");
        }

        if (!Enum.IsDefined(Mode))
        {
            errors.Add($"Mode {Mode} is not defined: use one of {string.Join(", ", Enum.GetNames<DriftCheckMode>())}.");
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
