using Microsoft.Extensions.Logging;
using ReadModelKit.Diagnostics;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Log messages of rebuilds; event ids 2200-2299 are stable.</summary>
internal static partial class RebuildLog
{
    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildAdopted, Level = LogLevel.Information, Message = "Projection {ProjectionName}: table adopted as version 1 behind a stable view")]
    public static partial void Adopted(ILogger logger, string projectionName);

    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildPlanned, Level = LogLevel.Information, Message = "Projection {ProjectionName}: rebuild run {RunId} planned, v{From} -> v{To}, about {Estimated} row(s)")]
    public static partial void Planned(ILogger logger, string projectionName, long runId, int from, int to, long? estimated);

    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildStateChanged, Level = LogLevel.Information, Message = "Projection {ProjectionName}: rebuild run {RunId} is {State}")]
    public static partial void StateChanged(ILogger logger, string projectionName, long runId, RebuildRunState state);

    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildGateFailed, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: rebuild run {RunId} gate failed: {Report}")]
    public static partial void GateFailed(ILogger logger, string projectionName, long runId, string report);

    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildRunError, Level = LogLevel.Error, Message = "Projection {ProjectionName}: rebuild run {RunId} stopped on an error (resumable unless failed)")]
    public static partial void RunError(ILogger logger, string projectionName, long runId, Exception exception);

    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildSwitchRetry, Level = LogLevel.Warning, Message = "Projection {ProjectionName}: view switch attempt {Attempt} timed out waiting for its lock; retrying in {DelayMilliseconds} ms")]
    public static partial void SwitchRetry(ILogger logger, string projectionName, int attempt, double delayMilliseconds);

    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildRepaired, Level = LogLevel.Information, Message = "Projection {ProjectionName}: repair of {Scope} recomputed {Keys} key(s), wrote {Rows} row(s) in {Batches} batch(es)")]
    public static partial void Repaired(ILogger logger, string projectionName, string scope, long keys, long rows, int batches);

    [LoggerMessage(EventId = ReadModelKitEventIds.RebuildChunkRedone, Level = LogLevel.Information, Message = "Projection {ProjectionName}: rebuild run {RunId} chunk after key {After} met a key a live event inserted meanwhile ({Constraint}); redone under the version guard")]
    public static partial void ChunkRedone(ILogger logger, string projectionName, long runId, string after, string? constraint);
}
