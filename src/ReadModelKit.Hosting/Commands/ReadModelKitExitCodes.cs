namespace ReadModelKit.Hosting.Commands;

/// <summary>The exit codes of the operations command line, for cron jobs and CI.</summary>
public static class ReadModelKitExitCodes
{
    /// <summary>The command did what was asked and found nothing wrong.</summary>
    public const int Ok = 0;

    /// <summary>The command failed (database unreachable, a refused repair, an event not found); the message says why.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong (unknown command or projection, bad key, conflicting flags); the message says what to type.</summary>
    public const int BadArguments = 2;

    /// <summary>A drift check found drifted rows (they are recorded as incidents).</summary>
    public const int DriftFound = 3;

    /// <summary><c>status</c> found an Unhealthy projection.</summary>
    public const int Unhealthy = 4;

    /// <summary>A rebuild's gate failed (drift, lag or the application's check): cutover is refused; the report says why.</summary>
    public const int GateFailed = 5;

    /// <summary>
    /// The request does not fit where the projection's rebuild is (one already runs, nothing to cut over, roll back, retire or cancel,
    /// the grace period is not over, another node runs it); nothing was changed. The message says what to type instead.
    /// </summary>
    public const int Refused = 6;
}
