using ReadModelKit.Events;

namespace ReadModelKit.Npgsql.Maintenance;

/// <summary>
/// Keeps outbox events that something other than a projection's checkpoint still needs (a rebuild replaying a stream, an export,
/// an audit) from being pruned. Register implementations in the container; <see cref="OutboxPruner"/> asks each before every prune.
/// </summary>
public interface IOutboxRetentionHold
{
    /// <summary>What holds the events, for the prune result and logs (for example <c>rebuild of case_list v2</c>).</summary>
    string Name { get; }

    /// <summary>
    /// The position (a transaction id, as checkpoints hold) up to which events of <paramref name="stream"/> may go; events after it are kept.
    /// Return null when this hold needs nothing of that stream, <see cref="StreamPosition.Start"/> to keep all of it.
    /// </summary>
    /// <param name="stream">The outbox stream about to be pruned.</param>
    /// <param name="cancellationToken">Cancels the question.</param>
    ValueTask<StreamPosition?> PrunableUpToAsync(string stream, CancellationToken cancellationToken);
}
