namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>A node's lease on a run: the fencing token every step presents.</summary>
/// <param name="RunId">The run.</param>
/// <param name="NodeId">The node.</param>
/// <param name="Token">The fencing token.</param>
/// <param name="Duration">How long each renewal lasts.</param>
internal readonly record struct RunLease(long RunId, string NodeId, long Token, TimeSpan Duration);
