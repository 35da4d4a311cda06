namespace ReadModelKit.Npgsql.Drift;

/// <summary>Options of a drift repair. Plain and bindable; every default is stated.</summary>
public sealed class DriftRepairOptions
{
    /// <summary>Keys recomputed per transaction. Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// The largest share of checked rows that may have drifted for a key-by-key repair (0 to 1). Above it, repair refuses with
    /// <see cref="DriftTooLargeException"/>: a rebuild is the right tool. Default 0.05 (5%).
    /// </summary>
    public double MaxDriftShare { get; set; } = 0.05;

    /// <summary>Drift of at most this many keys is always repaired, whatever its share (small tables). Default 100.</summary>
    public long SmallDriftKeys { get; set; } = 100;

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BatchSize < 1)
        {
            errors.Add($"BatchSize is {BatchSize}: it must be at least 1.");
        }

        if (double.IsNaN(MaxDriftShare) || MaxDriftShare is < 0 or > 1)
        {
            errors.Add($"MaxDriftShare is {MaxDriftShare}: use a share between 0 and 1 (0.05 = 5% of the checked rows).");
        }

        if (SmallDriftKeys < 0)
        {
            errors.Add($"SmallDriftKeys is {SmallDriftKeys}: it cannot be negative.");
        }

        return errors;
    }
}
