namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Settings of rebuilds, cutovers and repairs in place. Plain and bindable; every default is stated; <see cref="Validate"/> lists every problem.</summary>
public sealed class RebuildOptions
{
    /// <summary>
    /// Rows per backfill or repair chunk; each chunk is one short transaction. Default 20,000: a few tens of milliseconds for a plain
    /// recompute query, and few enough chunks that a backfill runs near <c>CREATE TABLE AS</c> speed. A chunk is held in memory while it
    /// is written: keep chunk size times row width within the server's <c>work_mem</c>, and lower it for an expensive recompute query.
    /// </summary>
    public int ChunkSize { get; set; } = 20_000;

    /// <summary>Pause after every chunk, so a backfill does not overload the source. Default zero (no pause).</summary>
    public TimeSpan ThrottleDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a node's lease on a run lasts; every chunk renews it. A node that stops (crash, deploy) hands the run over after this long.
    /// Must exceed one chunk plus <see cref="ThrottleDelay"/>. Default 30 seconds.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>This node's id in run leases. Default the machine name and process id.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// How long a view switch (adopt, cutover, rollback) waits for its lock before giving up the attempt: while it waits, new readers
    /// queue behind it, so this bounds how long readers can be held up. Default 200 ms.
    /// </summary>
    public TimeSpan SwitchLockTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How many times a view switch is attempted before <see cref="CutoverTimeoutException"/>. Default 10.</summary>
    public int SwitchAttempts { get; set; } = 10;

    /// <summary>The first back-off between switch attempts; it doubles each time, with up to 50% random jitter added. Default 100 ms.</summary>
    public TimeSpan SwitchBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long after a cutover the old version keeps receiving live writes, so a rollback serves correct rows at once; retiring
    /// earlier needs <c>force</c>. Default 1 hour.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Keep the tables of retired, cancelled and rolled-back versions instead of dropping them. Default false.</summary>
    public bool KeepTables { get; set; }

    /// <summary>The largest share of drifted rows (0 to 1) the gate accepts in the new version. Default 0: it must be clean.</summary>
    public double MaxDriftShare { get; set; }

    /// <summary>An optional check of the application's own, run last by the gate: return null to pass, or the reason it fails.</summary>
    public Func<RebuildGateContext, CancellationToken, Task<string?>>? GateCallback { get; set; }

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ChunkSize < 1)
        {
            errors.Add($"Rebuild.ChunkSize is {ChunkSize}: it must be at least 1.");
        }

        if (ThrottleDelay < TimeSpan.Zero || SwitchBackoff < TimeSpan.Zero || GracePeriod < TimeSpan.Zero)
        {
            errors.Add("Rebuild.ThrottleDelay, SwitchBackoff and GracePeriod cannot be negative.");
        }

        if (LeaseDuration <= ThrottleDelay)
        {
            errors.Add($"Rebuild.LeaseDuration ({LeaseDuration}) must exceed ThrottleDelay ({ThrottleDelay}), or the lease expires between chunks.");
        }

        if (SwitchLockTimeout < TimeSpan.FromMilliseconds(1) || SwitchAttempts < 1)
        {
            errors.Add("Rebuild.SwitchLockTimeout must be at least 1 ms and SwitchAttempts at least 1.");
        }

        if (MaxDriftShare is < 0 or > 1 || double.IsNaN(MaxDriftShare))
        {
            errors.Add($"Rebuild.MaxDriftShare is {MaxDriftShare}: give a share between 0 and 1.");
        }

        if (string.IsNullOrWhiteSpace(NodeId))
        {
            errors.Add("Rebuild.NodeId is empty: leave the default or give each node a unique id.");
        }

        return errors;
    }
}
