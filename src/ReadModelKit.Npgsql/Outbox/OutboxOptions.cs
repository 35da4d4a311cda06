namespace ReadModelKit.Npgsql.Outbox;

/// <summary>Settings of the transactional outbox. Plain and bindable.</summary>
public sealed class OutboxOptions
{
    /// <summary>
    /// Whether <c>OutboxWriter.AppendAsync</c> sends a notification (delivered at commit) so runners wake at once instead of
    /// waiting for their idle poll. Default <see langword="true"/>. Turn it off for very high write rates: PostgreSQL serializes the
    /// commits of notifying transactions, and runners then find new events within <c>ProjectionRunnerOptions.MaxIdleDelay</c>.
    /// </summary>
    public bool NotifyOnAppend { get; set; } = true;
}
