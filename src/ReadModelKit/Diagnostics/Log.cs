using Microsoft.Extensions.Logging;

namespace ReadModelKit.Diagnostics;

/// <summary>Source-generated log messages of the core package. Event ids are stable: 1000-1999 core, 2000-2999 Npgsql.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Projection {ProjectionName} moved from {From} to {To}")]
    public static partial void StateChanged(ILogger logger, string projectionName, Lifecycle.ProjectionState from, Lifecycle.ProjectionState to);
}
