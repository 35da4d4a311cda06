namespace ReadModelKit.Exceptions;

/// <summary>An event cannot be appended or applied as it is: its ordering key or version is missing, or its key does not follow the contract's ordering scope. Nothing was written.</summary>
public sealed class InvalidEventException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventType">The event type.</param>
    /// <param name="eventId">The event's id.</param>
    /// <param name="problem">What is wrong and what to do.</param>
    /// <param name="projectionName">The projection whose contract was checked, if any.</param>
    public InvalidEventException(string eventType, Guid eventId, string problem, string? projectionName = null)
        : base($"Event {eventId} ({eventType}) is refused: {problem}", projectionName)
    {
        EventType = eventType;
        EventId = eventId;
    }

    /// <summary>The event type.</summary>
    public string EventType { get; }

    /// <summary>The event's id.</summary>
    public Guid EventId { get; }
}
