namespace ReadModelKit.Hosting.Maintenance;

/// <summary>Scheduled, bounded maintenance: inbox and tombstone retention, outbox pruning, drift checks.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>Whether maintenance runs on a schedule in this host. Default true. The <c>prune</c> command works either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between maintenance passes. Default 5 minutes. One node at a time runs a pass (a PostgreSQL advisory lock).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long inbox rows are kept; null keeps them forever. Default 7 days: keep it above the longest redelivery window of any broker.</summary>
    public TimeSpan? InboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long tombstoned rows are kept before they are deleted; null (the default) keeps them. Keep it above the longest time an event can arrive late.</summary>
    public TimeSpan? TombstoneRetention { get; set; }

    /// <summary>Whether outbox events every reader has passed are deleted. Default true.</summary>
    public bool PruneOutbox { get; set; } = true;

    /// <summary>Outbox events younger than this (by source time) are kept even when every reader has passed them. Default 1 day.</summary>
    public TimeSpan OutboxMinimumAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Rows per delete transaction. Default 1000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Upper bound of delete transactions per table (or stream) in one pass. Default 20.</summary>
    public int MaxBatches { get; set; } = 20;

    /// <summary>Scheduled drift checks (off by default).</summary>
    public DriftScheduleOptions Drift { get; set; } = new();

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Interval <= TimeSpan.Zero)
        {
            errors.Add($"Interval is {Interval}: use a positive time such as 00:05:00.");
        }

        if (InboxRetention < TimeSpan.Zero)
        {
            errors.Add($"InboxRetention is {InboxRetention}: use a positive time, or null to keep inbox rows.");
        }

        if (TombstoneRetention < TimeSpan.Zero)
        {
            errors.Add($"TombstoneRetention is {TombstoneRetention}: use a positive time, or null to keep tombstones.");
        }

        if (OutboxMinimumAge < TimeSpan.Zero)
        {
            errors.Add($"OutboxMinimumAge is {OutboxMinimumAge}: use zero or a positive time.");
        }

        if (BatchSize < 1)
        {
            errors.Add($"BatchSize is {BatchSize}: use at least 1.");
        }

        if (MaxBatches < 1)
        {
            errors.Add($"MaxBatches is {MaxBatches}: use at least 1.");
        }

        errors.AddRange(Drift is null ? ["Drift is null: leave the default."] : Drift.Validate().Select(e => "Drift: " + e));
        return errors;
    }
}
