namespace ReadModelKit.Exceptions;

/// <summary>An event's payload lacks a field or holds a value the projection cannot read. The event is poison: it is retried, then dead-lettered.</summary>
public sealed class MalformedPayloadException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection that read the payload.</param>
    /// <param name="eventType">The event type.</param>
    /// <param name="eventId">The event's id.</param>
    /// <param name="problem">What is wrong with the payload (for example "field 'status' is missing").</param>
    /// <param name="innerException">The parsing error, if any.</param>
    public MalformedPayloadException(string projectionName, string eventType, Guid eventId, string problem, Exception? innerException = null)
        : base($"Projection '{projectionName}' cannot read the payload of {eventType} event {eventId}: {problem}. Fix the producer or the projection, then replay the dead-lettered event.", projectionName, innerException)
    {
        EventType = eventType;
        EventId = eventId;
    }

    /// <summary>The event type.</summary>
    public string EventType { get; }

    /// <summary>The event's id.</summary>
    public Guid EventId { get; }
}
