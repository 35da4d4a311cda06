namespace ReadModelKit.Npgsql.Leases;

/// <summary>What one heartbeat found and did.</summary>
/// <param name="Owned">The partitions this node holds after the heartbeat.</param>
/// <param name="Claimed">Partitions claimed by this heartbeat (free or expired ones; each takeover incremented its token).</param>
/// <param name="Released">Partitions released because this node held more than its fair share.</param>
/// <param name="Lost">Partitions this node believed it held but no longer does (expired or taken over).</param>
/// <param name="LiveNodes">The nodes alive for the projection, this one included.</param>
internal sealed record LeaseHeartbeat(IReadOnlyList<PartitionLease> Owned, IReadOnlyList<int> Claimed, IReadOnlyList<int> Released, IReadOnlyList<int> Lost, int LiveNodes);
