using System.Globalization;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Freshness;

/// <summary>A read-your-writes wait ended before the projection had applied the awaited position.</summary>
public sealed class ReadYourWritesTimeoutException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="position">The awaited position token.</param>
    /// <param name="timeout">How long the caller waited.</param>
    /// <param name="pendingEvents">Events still pending when the wait ended.</param>
    /// <param name="lag">The projection's lag when the wait ended.</param>
    public ReadYourWritesTimeoutException(string projectionName, StreamPosition position, TimeSpan timeout, long pendingEvents, TimeSpan lag)
        : base(string.Create(CultureInfo.InvariantCulture, $"Projection '{projectionName}' has not applied position {position} within {timeout.TotalSeconds:0.###} s ({pendingEvents} event(s) pending, lag {lag.TotalSeconds:0.#} s). The command itself committed; only the read model is behind. Return the data with its freshness block (stale), wait longer, or check the projection's health (store.Health.EvaluateAsync) for a stalled runner."), projectionName)
    {
        Position = position;
        Timeout = timeout;
        PendingEvents = pendingEvents;
        Lag = lag;
    }

    /// <summary>The awaited position token.</summary>
    public StreamPosition Position { get; }

    /// <summary>How long the caller waited.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Events still pending when the wait ended.</summary>
    public long PendingEvents { get; }

    /// <summary>The projection's lag when the wait ended.</summary>
    public TimeSpan Lag { get; }
}
