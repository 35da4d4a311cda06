using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.DeadLetters;

/// <summary>Replay or skip named an event or key that has no open dead letter.</summary>
public sealed class DeadLetterNotFoundException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="what">The event id or ordering key that was named.</param>
    public DeadLetterNotFoundException(string projectionName, string what)
        : base($"Projection '{projectionName}' has no open dead letter for {what}. List the open ones with DeadLetterStore.ListAsync; resolved ones cannot be replayed or skipped again.", projectionName)
    {
    }
}
