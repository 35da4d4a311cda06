namespace ReadModelKit.Npgsql.Leases;

/// <summary>A partition this node holds, with the fencing token of its current tenure.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Token">The fencing token: incremented on every takeover, checked inside every apply transaction.</param>
public readonly record struct PartitionLease(int Partition, long Token);
