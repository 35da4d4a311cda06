namespace ReadModelKit.Testing.Laws;

/// <summary>A law every projection applied through ReadModelKit must satisfy, whatever the delivery.</summary>
public enum ProjectionLaw
{
    /// <summary>Delivering every batch twice (and some events twice within the history) ends in the same rows as delivering each event once.</summary>
    Idempotence,

    /// <summary>Any permutation of the events (one per batch) ends in the same rows as delivery in version order: the version guard, not arrival order, decides.</summary>
    OrderInsensitivity,

    /// <summary>When a key's newest change is a tombstone, the row is never shown, whether the delete arrives last or before older events.</summary>
    NoResurrection,

    /// <summary>Splitting the in-order history into any batches ends in the same rows as one event per batch.</summary>
    BatchSplitInvariance,

    /// <summary>
    /// Replaying the whole history from scratch (a rebuild, with the projection instance that applied it incrementally) ends in the
    /// same rows as the incremental application with duplicates, any order and any batches.
    /// </summary>
    RebuildEquivalence,
}
