using Microsoft.Extensions.Logging;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>Source-generated log messages of drift checks and repairs; event ids 2500-2519 are stable.</summary>
internal static partial class DriftLog
{
    [LoggerMessage(EventId = 2500, Level = LogLevel.Information, Message = "Drift check of {ProjectionName} ({Strategy}, {Mode}) clean: {CheckedRows} row(s) in {Milliseconds:0} ms")]
    public static partial void Clean(ILogger logger, string projectionName, DriftStrategy strategy, DriftCheckMode mode, long checkedRows, double milliseconds);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Warning, Message = "Drift check of {ProjectionName} ({Strategy}, {Mode}) found {Missing} missing, {Extra} extra, {Changed} changed of {CheckedRows} row(s); {Recorded} incident(s) recorded in {Milliseconds:0} ms")]
    public static partial void Drifted(ILogger logger, string projectionName, DriftStrategy strategy, DriftCheckMode mode, long missing, long extra, long changed, long checkedRows, long recorded, double milliseconds);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Warning, Message = "Drift check of {ProjectionName}: {Unconfirmed} candidate(s) found while the projection was behind its source stayed unconfirmed and were not recorded; check again once it has caught up")]
    public static partial void Unconfirmed(ILogger logger, string projectionName, long unconfirmed);

    [LoggerMessage(EventId = 2503, Level = LogLevel.Information, Message = "Drift repair of {ProjectionName}: {Keys} key(s) recomputed, {Rows} row(s) written, {Incidents} incident(s) closed in {Batches} batch(es)")]
    public static partial void Repaired(ILogger logger, string projectionName, long keys, long rows, long incidents, int batches);

    [LoggerMessage(EventId = 2504, Level = LogLevel.Warning, Message = "Drift repair of {ProjectionName} refused: {Drifted} of {CheckedRows} checked row(s) drifted, above the {MaxShare:P1} limit; rebuild the projection instead")]
    public static partial void RepairRefused(ILogger logger, string projectionName, long drifted, long checkedRows, double maxShare);

    [LoggerMessage(EventId = 2505, Level = LogLevel.Debug, Message = "Drift check of {ProjectionName}: {Candidates} candidate(s) while the projection was at {ProjectionPosition} and the source at {SourcePosition}; re-checking after catch-up")]
    public static partial void Candidates(ILogger logger, string projectionName, long candidates, long projectionPosition, long sourcePosition);
}
