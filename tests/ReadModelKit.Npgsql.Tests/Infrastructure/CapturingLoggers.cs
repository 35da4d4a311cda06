using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>A logger factory that keeps every formatted message with its exception text, as a console or file sink would write them.</summary>
public sealed class CapturingLoggers : ILoggerFactory
{
    private readonly ConcurrentQueue<(string Category, EventId Id, string Text)> _entries = new();

    /// <summary>Every entry: category, event id, and the formatted message followed by the exception's full text.</summary>
    public IReadOnlyList<(string Category, EventId Id, string Text)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("CapturingLoggers captures; it takes no providers.");

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, EventId, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            entries.Enqueue((category, eventId, $"{formatter(state, exception)} | {structured} | {exception}"));
        }
    }
}
