using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>An event kept failing and the contract's failure policy is <c>Halt</c>: nothing of the batch was written and the projection must stop until the cause is fixed.</summary>
public sealed class ProjectionHaltedException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="eventId">The failing event.</param>
    /// <param name="attempts">How many times it was tried.</param>
    /// <param name="cause">The last error.</param>
    public ProjectionHaltedException(string projectionName, Guid eventId, int attempts, Exception cause)
        : base($"Projection '{projectionName}' halted: event {eventId} failed {attempts} time(s) and the failure policy is Halt. Nothing of the batch was written. Fix the projection or the event, then restart; or switch the policy to DeadLetterAndContinue. Last error: {cause?.Message}", projectionName, cause)
    {
        EventId = eventId;
        Attempts = attempts;
    }

    /// <summary>The failing event.</summary>
    public Guid EventId { get; }

    /// <summary>How many times it was tried.</summary>
    public int Attempts { get; }
}
