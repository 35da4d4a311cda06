using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>A projection emitted a row change that does not fit its table mapping (wrong key arity, missing or unknown column, a value of the wrong type). The event is poison.</summary>
public sealed class InvalidRowChangeException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="eventId">The event whose change is invalid.</param>
    /// <param name="problem">What is wrong and what to change.</param>
    /// <param name="innerException">The conversion error, if any.</param>
    public InvalidRowChangeException(string projectionName, Guid eventId, string problem, Exception? innerException = null)
        : base($"Projection '{projectionName}' emitted an invalid row change for event {eventId}: {problem}", projectionName, innerException)
    {
        EventId = eventId;
    }

    /// <summary>The event whose change is invalid.</summary>
    public Guid EventId { get; }
}
