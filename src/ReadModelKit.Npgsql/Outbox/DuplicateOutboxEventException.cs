using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Outbox;

/// <summary>An appended event reused an event id that is already in the outbox; the application's transaction is aborted.</summary>
public sealed class DuplicateOutboxEventException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="stream">The stream appended to.</param>
    /// <param name="detail">PostgreSQL's detail naming the event id.</param>
    /// <param name="innerException">The unique violation.</param>
    public DuplicateOutboxEventException(string stream, string? detail, Exception innerException)
        : base($"An event appended to outbox stream '{stream}' reuses an event id that is already in the outbox ({detail}). Give every event a new EventId; the transaction is aborted, so roll it back and retry the command.", null, innerException)
    {
        Stream = stream;
    }

    /// <summary>The stream appended to.</summary>
    public string Stream { get; }
}
