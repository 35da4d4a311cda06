namespace ReadModelKit.Npgsql.Runner;

/// <summary>Settings of one <see cref="ProjectionRunner"/>. Plain and bindable; every node of a projection must use the same <see cref="PartitionCount"/>.</summary>
public sealed class ProjectionRunnerOptions
{
    /// <summary>
    /// The prefix of this node's id in the lease table (for example the pod or service name); every runner instance appends a random
    /// suffix, so two replicas configured alike never share leases. Default: the machine name.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>How many partitions the projection's events are split into by ordering key; nodes share them. Default 1.</summary>
    public int PartitionCount { get; set; } = 1;

    /// <summary>The most events one batch holds (a single larger transaction is still delivered whole). Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>The first wait when there is nothing to do; it doubles up to <see cref="MaxIdleDelay"/>. A notification ends any wait. Default 50 ms.</summary>
    public TimeSpan MinIdleDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between polls when idle (the delay of an event whose notification was lost). Default 1 s.</summary>
    public TimeSpan MaxIdleDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a partition lease lasts without renewal (database clock): a node that stops is replaced after at most this. Default 30 s.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a node renews its leases and rebalances; at most a third of <see cref="LeaseDuration"/>. Default 10 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an idle partition moves its checkpoint up to the outbox horizon, so later reads scan less. Default 5 s.</summary>
    public TimeSpan IdleCheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the runner reads the operators' pause, resume and restart instructions (<see cref="Control.ProjectionControl"/>); a newly claimed partition reads them at once. Default 1 s.</summary>
    public TimeSpan ControlPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries while the database cannot be reached at start-up (waits double from 100 ms, with jitter). Default 10 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether to LISTEN for the outbox's notifications and wake at once on new events. Default <see langword="true"/>.</summary>
    public bool ListenForNotifications { get; set; } = true;

    /// <summary>Returns every problem of these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (NodeId is not null && (string.IsNullOrWhiteSpace(NodeId) || NodeId.Length > 200))
        {
            errors.Add("NodeId must be null (the machine name) or 1-200 characters.");
        }

        if (PartitionCount is < 1 or > 1024)
        {
            errors.Add($"PartitionCount {PartitionCount} must be between 1 and 1024.");
        }

        if (BatchSize < 1)
        {
            errors.Add($"BatchSize {BatchSize} must be at least 1.");
        }

        if (MinIdleDelay <= TimeSpan.Zero || MaxIdleDelay < MinIdleDelay)
        {
            errors.Add($"MinIdleDelay {MinIdleDelay} must be positive and MaxIdleDelay {MaxIdleDelay} at least as long.");
        }

        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval * 3 > LeaseDuration)
        {
            errors.Add($"HeartbeatInterval {HeartbeatInterval} must be positive and at most a third of LeaseDuration {LeaseDuration}, so one late heartbeat does not lose the leases.");
        }

        if (ControlPollInterval <= TimeSpan.Zero)
        {
            errors.Add($"ControlPollInterval {ControlPollInterval} must be positive.");
        }

        if (MaxRetryDelay < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"MaxRetryDelay {MaxRetryDelay} must be at least 100 ms.");
        }

        if (IdleCheckpointInterval < TimeSpan.Zero)
        {
            errors.Add($"IdleCheckpointInterval {IdleCheckpointInterval} must not be negative.");
        }

        return errors;
    }
}
