using System.Globalization;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// A rebuild by outbox replay needs events the outbox no longer holds: the stream was pruned past the position the replay has to read
/// from. At planning nothing was created; during a replay the run failed (the new version is no longer fed and its table was dropped).
/// </summary>
public sealed class OutboxPrunedForReplayException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="stream">The outbox stream.</param>
    /// <param name="prunedUpTo">The highest position whose events were pruned.</param>
    /// <param name="prunedAt">When the stream was last pruned.</param>
    /// <param name="neededAfter">The position the replay reads after: every event after it is needed.</param>
    public OutboxPrunedForReplayException(string projectionName, string stream, StreamPosition prunedUpTo, DateTimeOffset prunedAt, StreamPosition neededAfter)
        : base(string.Create(CultureInfo.InvariantCulture, $"Projection '{projectionName}' cannot be rebuilt by replaying outbox stream '{stream}': its events up to position {prunedUpTo.Value} were pruned (last prune {prunedAt:u}), and the replay needs every event after position {neededAfter.Value}{(neededAfter == StreamPosition.Start ? " (from the start)" : "")}. Rebuild by backfill instead (contract Rebuild = BackfillFromCanonicalTables, with a RecomputeSql), or restore the pruned events into the outbox and delete the stream's row from outbox_prune_floor. To keep replays possible, keep the stream unpruned: register an IOutboxRetentionHold returning StreamPosition.Start for it, or turn outbox pruning off (maintenance option PruneOutbox = false)."), projectionName)
    {
        Stream = stream;
        PrunedUpTo = prunedUpTo;
        PrunedAt = prunedAt;
        NeededAfter = neededAfter;
    }

    /// <summary>The outbox stream.</summary>
    public string Stream { get; }

    /// <summary>The highest position whose events were pruned.</summary>
    public StreamPosition PrunedUpTo { get; }

    /// <summary>When the stream was last pruned.</summary>
    public DateTimeOffset PrunedAt { get; }

    /// <summary>The position the replay reads after.</summary>
    public StreamPosition NeededAfter { get; }
}
