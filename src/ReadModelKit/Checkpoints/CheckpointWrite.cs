namespace ReadModelKit.Checkpoints;

/// <summary>The outcome of a fenced compare-and-set write to a checkpoint.</summary>
public enum CheckpointWrite
{
    /// <summary>The checkpoint was written.</summary>
    Written,

    /// <summary>The checkpoint was no longer at the expected position: nothing was written; re-read it.</summary>
    Conflict,

    /// <summary>The fence's lease is no longer held: nothing was written; the caller must stop working on the partition.</summary>
    Fenced,
}
