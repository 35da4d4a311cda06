using Microsoft.Extensions.Logging;

namespace ReadModelKit.Npgsql.Diagnostics;

/// <summary>Source-generated log messages of the PostgreSQL package; event ids 2000-2999 are stable.</summary>
internal static partial class NpgsqlLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "ReadModelKit schema {Schema} migrated from version {From} to {To}")]
    public static partial void SchemaMigrated(ILogger logger, string schema, int from, int to);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Projection {ProjectionName}: batch of {Received} applied {Applied} event(s), wrote {Rows} row(s), checkpoint {Checkpoint} in {Milliseconds:0.0} ms")]
    public static partial void BatchApplied(ILogger logger, string projectionName, int received, int applied, int rows, long checkpoint, double milliseconds);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: transient database error, retry {Retry} in {DelayMilliseconds} ms")]
    public static partial void TransientRetry(ILogger logger, string projectionName, int retry, double delayMilliseconds, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Projection {ProjectionName}: event {EventId} ({EventType}, key {OrderingKey}) dead-lettered after {Attempts} attempt(s)")]
    public static partial void DeadLettered(ILogger logger, string projectionName, Guid eventId, string eventType, string orderingKey, int attempts, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: {Count} event(s) parked behind dead-lettered events of their ordering key")]
    public static partial void Parked(ILogger logger, string projectionName, int count);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Projection {ProjectionName}: dead letters of key {OrderingKey} {Resolution}; {Applied} event(s) applied")]
    public static partial void DeadLettersResolved(ILogger logger, string projectionName, string orderingKey, string resolution, int applied);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Pruned {Rows} row(s) from {Table} in {Batches} batch(es)")]
    public static partial void Pruned(ILogger logger, string table, long rows, int batches);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Information, Message = "Projection {ProjectionName}: masked and prohibited fields of {Payloads} open dead letter(s) replaced by digests")]
    public static partial void PayloadsPurged(ILogger logger, string projectionName, long payloads);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Warning, Message = "Projection {ProjectionName} hides payload field(s) {Fields} but no PiiSealingKey is configured: its dead letters keep them only as digests and cannot be replayed (a skip releases the parked events for re-delivery from the source); configure NpgsqlReadModelOptions.PiiSealingKey")]
    public static partial void NoSealingKey(ILogger logger, string projectionName, string fields);

    [LoggerMessage(EventId = 2042, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: skipping the dead event of key {OrderingKey} released {Count} parked event(s) whose payload could not be restored (stored as digests, not in the outbox); re-deliver them from their source: {EventIds}")]
    public static partial void DeadLettersReleased(ILogger logger, string projectionName, string orderingKey, int count, string eventIds);
}
