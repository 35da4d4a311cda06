namespace ReadModelKit.Checkpoints;

/// <summary>
/// Who may write a partition's checkpoint: the holder of the partition's lease with this fencing token.
/// A write carrying a fence commits only while that lease is still held (a node that lost its lease cannot write).
/// </summary>
/// <param name="Owner">The lease holder (the runner node's id).</param>
/// <param name="Token">The fencing token of the holder's current tenure.</param>
public readonly record struct CheckpointFence(string Owner, long Token);
