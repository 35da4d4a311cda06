using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.DeadLetters;
using ReadModelKit.Npgsql.Freshness;

namespace ReadModelKit.Testing.Waiting;

/// <summary>A wait for a projection ended early or timed out; the message says why, with the projection's error or status.</summary>
public sealed class ProjectionWaitException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="failure">Why the wait ended.</param>
    /// <param name="status">The projection's status when it ended.</param>
    /// <param name="deadLetters">The dead letters that ended it (for <see cref="ProjectionWaitFailure.DeadLettered"/>).</param>
    /// <param name="message">The report.</param>
    public ProjectionWaitException(string projectionName, ProjectionWaitFailure failure, ProjectionStatus status, IReadOnlyList<DeadLetter> deadLetters, string message)
        : base(message, projectionName)
    {
        Failure = failure;
        Status = status;
        DeadLetters = deadLetters;
    }

    /// <summary>Why the wait ended.</summary>
    public ProjectionWaitFailure Failure { get; }

    /// <summary>The projection's status when the wait ended.</summary>
    public ProjectionStatus Status { get; }

    /// <summary>The dead letters that ended the wait; empty unless <see cref="Failure"/> is <see cref="ProjectionWaitFailure.DeadLettered"/>.</summary>
    public IReadOnlyList<DeadLetter> DeadLetters { get; }
}
