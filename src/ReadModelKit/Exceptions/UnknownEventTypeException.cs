namespace ReadModelKit.Exceptions;

/// <summary>A projection received an event type it does not handle. The event is poison: it is retried, then dead-lettered.</summary>
public sealed class UnknownEventTypeException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection that received the event.</param>
    /// <param name="eventType">The unknown type name.</param>
    /// <param name="eventId">The event's id.</param>
    public UnknownEventTypeException(string projectionName, string eventType, Guid eventId)
        : base($"Projection '{projectionName}' does not handle event type '{eventType}' (event {eventId}). Add a case for it to the projection, or skip the dead-lettered event if it is not meant for this projection.", projectionName)
    {
        EventType = eventType;
        EventId = eventId;
    }

    /// <summary>The unknown type name.</summary>
    public string EventType { get; }

    /// <summary>The event's id.</summary>
    public Guid EventId { get; }
}
