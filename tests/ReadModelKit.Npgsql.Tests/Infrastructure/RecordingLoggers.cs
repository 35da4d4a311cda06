using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>A logger factory that records every entry (all levels) with its event id and message.</summary>
public sealed class RecordingLoggers : ILoggerFactory
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    /// <summary>The event ids of the entries whose message contains <paramref name="text"/>.</summary>
    public HashSet<int> IdsMentioning(string text) => Entries.Where(e => e.Message.Contains(text, StringComparison.Ordinal)).Select(e => e.EventId).ToHashSet();

    private sealed class Logger(RecordingLoggers owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
    }
}
