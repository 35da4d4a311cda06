namespace ReadModelKit.Contracts;

/// <summary>How a projection makes duplicate delivery harmless.</summary>
public enum IdempotencyMode
{
    /// <summary>Every event id is recorded in an inbox table in the same transaction as the change. Works for any source.</summary>
    Inbox,

    /// <summary>The source is ordered; the position stored in the same transaction is the dedupe. No inbox rows.</summary>
    Checkpoint,

    /// <summary>Only the per-key version guard protects the rows (duplicates and older versions are ignored).</summary>
    VersionGuardOnly,
}
