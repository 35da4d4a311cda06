using Microsoft.Extensions.Logging;
using ReadModelKit.Diagnostics;

namespace ReadModelKit.Hosting.Diagnostics;

/// <summary>Source-generated log messages of the hosting package; ids in <see cref="ReadModelKitEventIds"/> (3000-3099).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = ReadModelKitEventIds.StoreInitialized, Level = LogLevel.Information, Message = "ReadModelKit store initialized in {Milliseconds:0} ms")]
    public static partial void StoreInitialized(ILogger logger, double milliseconds);

    [LoggerMessage(EventId = ReadModelKitEventIds.StoreInitializationFailed, Level = LogLevel.Critical, Message = "ReadModelKit store initialization failed; the host does not start: {Reason}")]
    public static partial void StoreInitializationFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = ReadModelKitEventIds.HostedRunnersStarting, Level = LogLevel.Information, Message = "Running {Count} projection runner(s) on this node: {Projections}")]
    public static partial void HostedRunnersStarting(ILogger logger, int count, string projections);

    [LoggerMessage(EventId = ReadModelKitEventIds.HostedRunnerFailed, Level = LogLevel.Critical, Message = "The runner of {ProjectionName} failed; the host stops")]
    public static partial void HostedRunnerFailed(ILogger logger, string projectionName, Exception exception);

    [LoggerMessage(EventId = ReadModelKitEventIds.MaintenancePassed, Level = LogLevel.Information, Message = "Maintenance deleted {InboxRows} inbox row(s), {Tombstones} tombstone(s) and {OutboxEvents} outbox event(s) in {Milliseconds:0} ms")]
    public static partial void MaintenancePassed(ILogger logger, long inboxRows, long tombstones, long outboxEvents, double milliseconds);

    [LoggerMessage(EventId = ReadModelKitEventIds.MaintenanceFailed, Level = LogLevel.Error, Message = "Maintenance failed; the next pass runs in {Interval}")]
    public static partial void MaintenanceFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = ReadModelKitEventIds.ScheduledDriftChecked, Level = LogLevel.Information, Message = "Scheduled {Mode} drift check of {Projections} projection(s): {Drifted} drifted row(s)")]
    public static partial void ScheduledDriftChecked(ILogger logger, string mode, int projections, long drifted);
}
