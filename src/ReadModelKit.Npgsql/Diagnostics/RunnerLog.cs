using Microsoft.Extensions.Logging;
using ReadModelKit.Lifecycle;

namespace ReadModelKit.Npgsql.Diagnostics;

/// <summary>Log messages of the outbox, the runner and the leases; event ids 2100-2199 are stable.</summary>
internal static partial class NpgsqlLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Projection {ProjectionName}: runner node {NodeId} started ({PartitionCount} partition(s), stream {Stream})")]
    public static partial void RunnerStarted(ILogger logger, string projectionName, string nodeId, int partitionCount, string stream);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Projection {ProjectionName}: runner node {NodeId} stopped and released its partitions")]
    public static partial void RunnerStopped(ILogger logger, string projectionName, string nodeId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Projection {ProjectionName}: node {NodeId} claimed partition(s) {Partitions} ({LiveNodes} live node(s))")]
    public static partial void PartitionsClaimed(ILogger logger, string projectionName, string nodeId, string partitions, int liveNodes);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Projection {ProjectionName}: node {NodeId} released partition(s) {Partitions} to rebalance ({LiveNodes} live node(s))")]
    public static partial void PartitionsReleased(ILogger logger, string projectionName, string nodeId, string partitions, int liveNodes);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: node {NodeId} lost the lease of partition {Partition}")]
    public static partial void LeaseLost(ILogger logger, string projectionName, string nodeId, int partition, Exception? exception);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: partition {Partition} failed, retrying in {DelayMilliseconds} ms")]
    public static partial void RunnerError(ILogger logger, string projectionName, int partition, double delayMilliseconds, Exception exception);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Error, Message = "Projection {ProjectionName}: partition {Partition} halted and is Faulted until restarted (ProjectionControl.RestartAsync) or its lease changes hands")]
    public static partial void PartitionFaulted(ILogger logger, string projectionName, int partition, Exception exception);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Information, Message = "Projection {ProjectionName}: partition {Partition} moved from {From} to {To}")]
    public static partial void PartitionStateChanged(ILogger logger, string projectionName, int partition, ProjectionState from, ProjectionState to);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Warning, Message = "Outbox listener for {Channel} lost its connection, reconnecting in {DelayMilliseconds} ms")]
    public static partial void ListenerReconnecting(ILogger logger, string channel, double delayMilliseconds, Exception exception);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: heartbeat of node {NodeId} failed")]
    public static partial void HeartbeatFailed(ILogger logger, string projectionName, string nodeId, Exception exception);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: the checkpoint of partition {Partition} moved underneath the runner; re-reading it")]
    public static partial void CheckpointMoved(ILogger logger, string projectionName, int partition, Exception exception);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: a BatchApplied handler threw")]
    public static partial void BatchAppliedHandlerFailed(ILogger logger, string projectionName, Exception exception);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: runner node {NodeId} cannot reach the database at start-up (attempt {Attempt}), retrying in {DelayMilliseconds} ms")]
    public static partial void StartUpRetry(ILogger logger, string projectionName, string nodeId, int attempt, double delayMilliseconds, Exception exception);

    [LoggerMessage(EventId = 2114, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: node {NodeId} paused partition {Partition} as an operator asked")]
    public static partial void PartitionPaused(ILogger logger, string projectionName, string nodeId, int partition);

    [LoggerMessage(EventId = 2115, Level = LogLevel.Information, Message = "Projection {ProjectionName}: node {NodeId} resumed partition {Partition} as an operator asked")]
    public static partial void PartitionResumed(ILogger logger, string projectionName, string nodeId, int partition);

    [LoggerMessage(EventId = 2116, Level = LogLevel.Information, Message = "Projection {ProjectionName}: node {NodeId} restarted faulted partition {Partition} as an operator asked; it retries from its checkpoint")]
    public static partial void PartitionRestarted(ILogger logger, string projectionName, string nodeId, int partition);

    [LoggerMessage(EventId = 2117, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: cannot read the operators' control instructions; no partition applies until they are read, retrying in {DelayMilliseconds} ms")]
    public static partial void ControlReadFailed(ILogger logger, string projectionName, double delayMilliseconds, Exception exception);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Information, Message = "Projection {ProjectionName}: node {NodeId} handed partition {Partition} over to rebalance; its batch in flight was rolled back and the new holder applies it")]
    public static partial void HandedOverMidBatch(ILogger logger, string projectionName, string nodeId, int partition);
}
