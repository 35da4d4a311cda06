using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Hosting.Maintenance;

/// <summary>Drift checks on a schedule: sampled checks often, a full check once a day. Both off by default.</summary>
public sealed class DriftScheduleOptions
{
    /// <summary>Whether sampled drift checks run every <see cref="SampleInterval"/>. Default false.</summary>
    public bool SampledChecks { get; set; }

    /// <summary>Time between sampled checks. Default 1 hour.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Key ranges a sampled check compares. Default 8.</summary>
    public int SampleRanges { get; set; } = 8;

    /// <summary>
    /// The parallel workers PostgreSQL may add to each statement of a scheduled check (see
    /// <see cref="DriftCheckOptions.MaxParallelWorkers"/>); null (an empty value in configuration) keeps the
    /// connection's setting. Default 0.
    /// </summary>
    public int? MaxParallelWorkers { get; set; } = 0;

    /// <summary>Whether a full drift check runs once a day at <see cref="NightlyAt"/>. Default false.</summary>
    public bool NightlyFullCheck { get; set; }

    /// <summary>The time of day (UTC) after which the daily full check runs. Default 03:00.</summary>
    public TimeSpan NightlyAt { get; set; } = TimeSpan.FromHours(3);

    /// <summary>The options of one scheduled check in <paramref name="mode"/>.</summary>
    /// <param name="mode">Sampled or full.</param>
    /// <returns>New check options with this schedule's sample ranges and parallel-worker limit.</returns>
    public DriftCheckOptions CheckOptions(DriftCheckMode mode) => new() { Mode = mode, SampleRanges = SampleRanges, MaxParallelWorkers = MaxParallelWorkers };

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SampleInterval <= TimeSpan.Zero)
        {
            errors.Add($"SampleInterval is {SampleInterval}: use a positive time such as 01:00:00.");
        }

        if (SampleRanges < 1)
        {
            errors.Add($"SampleRanges is {SampleRanges}: use at least 1.");
        }

        errors.AddRange(new DriftCheckOptions { MaxParallelWorkers = MaxParallelWorkers }.Validate());
        if (NightlyAt < TimeSpan.Zero || NightlyAt >= TimeSpan.FromDays(1))
        {
            errors.Add($"NightlyAt is {NightlyAt}: use a time of day from 00:00:00 to 23:59:59.");
        }

        return errors;
    }
}
