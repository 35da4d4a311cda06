using ReadModelKit.Npgsql.Maintenance;

namespace ReadModelKit.Hosting.Maintenance;

/// <summary>What one maintenance pass deleted.</summary>
/// <param name="InboxRows">Inbox rows deleted, by projection.</param>
/// <param name="Tombstones">Tombstoned rows deleted, by projection.</param>
/// <param name="Outbox">The outbox streams pruned.</param>
public sealed record MaintenanceReport(
    IReadOnlyDictionary<string, long> InboxRows,
    IReadOnlyDictionary<string, long> Tombstones,
    IReadOnlyList<OutboxPruneResult> Outbox)
{
    /// <summary>Inbox rows deleted over all projections.</summary>
    public long TotalInboxRows => InboxRows.Values.Sum();

    /// <summary>Tombstones deleted over all projections.</summary>
    public long TotalTombstones => Tombstones.Values.Sum();

    /// <summary>Outbox events deleted over all streams.</summary>
    public long TotalOutboxEvents => Outbox.Sum(o => o.Deleted);
}
