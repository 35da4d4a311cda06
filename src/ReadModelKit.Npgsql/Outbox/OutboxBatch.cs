using ReadModelKit.Events;

namespace ReadModelKit.Npgsql.Outbox;

/// <summary>
/// What one read of the outbox found for one partition: whole transactions only, all below the horizon.
/// </summary>
/// <param name="Events">The events, in transaction order then position order. Each event's position is its transaction id.</param>
/// <param name="Horizon">The visibility horizon of the read (<c>pg_snapshot_xmin</c>): every transaction below it has finished, none below it can still add events.</param>
/// <param name="ReachedHorizon">Whether the read returned everything below the horizon (the batch was not cut by its size limit).</param>
/// <param name="OldestHeldBackAt">
/// The source time of the first (in transaction order) committed event of the partition at or above the horizon, held back until
/// older transactions finish; null when none waits.
/// </param>
internal sealed record OutboxBatch(IReadOnlyList<EventEnvelope> Events, long Horizon, bool ReachedHorizon, DateTimeOffset? OldestHeldBackAt)
{
    /// <summary>The source time of the oldest event not yet applied: the first event of the batch or the oldest held back one.</summary>
    public DateTimeOffset? OldestPendingAt
    {
        get
        {
            DateTimeOffset? first = Events.Count > 0 ? Events.Min(e => e.OccurredAt) : null;
            return (first, OldestHeldBackAt) switch
            {
                ({ } a, { } b) => a < b ? a : b,
                ({ } a, null) => a,
                (null, var b) => b,
            };
        }
    }
}
