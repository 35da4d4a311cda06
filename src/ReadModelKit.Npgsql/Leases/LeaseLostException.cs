using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Leases;

/// <summary>
/// A node tried to commit a batch for a partition whose lease it no longer holds (another node took it over, or the lease expired):
/// the fencing check inside the batch transaction failed and nothing was written.
/// </summary>
public sealed class LeaseLostException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="nodeId">The node that lost the lease.</param>
    /// <param name="token">The fencing token the node held.</param>
    public LeaseLostException(string projectionName, int partition, string nodeId, long token)
        : base($"Node '{nodeId}' no longer holds the lease of partition {partition} of projection '{projectionName}' (fencing token {token}): another node took it over or the lease expired. The batch was rolled back and nothing was written. The runner drops the partition and claims its fair share again at the next heartbeat; if this keeps happening, heartbeats are late (long pauses, an overloaded database): raise ProjectionRunnerOptions.LeaseDuration.", projectionName)
    {
        Partition = partition;
        NodeId = nodeId;
        Token = token;
    }

    /// <summary>The partition.</summary>
    public int Partition { get; }

    /// <summary>The node that lost the lease.</summary>
    public string NodeId { get; }

    /// <summary>The fencing token the node held.</summary>
    public long Token { get; }
}
