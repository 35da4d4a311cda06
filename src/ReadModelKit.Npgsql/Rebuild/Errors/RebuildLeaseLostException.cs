using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// This node no longer owns the rebuild run (another node took its lease over after it expired, or the run was cancelled or moved on):
/// the chunk it was writing was rolled back.
/// </summary>
public sealed class RebuildLeaseLostException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="runId">The run.</param>
    /// <param name="nodeId">This node.</param>
    /// <param name="token">The fencing token this node held.</param>
    public RebuildLeaseLostException(string projectionName, long runId, string nodeId, long token)
        : base($"Node '{nodeId}' no longer owns rebuild run {runId} of projection '{projectionName}' (fencing token {token}): another node took the run over, or it was cancelled. The chunk in progress was rolled back; nothing is lost. If nodes keep taking runs from each other, raise RebuildOptions.LeaseDuration above the time of one chunk plus the throttle delay.", projectionName)
    {
        RunId = runId;
        NodeId = nodeId;
        Token = token;
    }

    /// <summary>The run.</summary>
    public long RunId { get; }

    /// <summary>This node.</summary>
    public string NodeId { get; }

    /// <summary>The fencing token this node held.</summary>
    public long Token { get; }
}
