using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Control;

/// <summary>An operator's control request cannot be carried out (unknown projection or partition, nothing to resume or restart); the message says what to do.</summary>
public sealed class ProjectionControlException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="projectionName">The projection.</param>
    /// <param name="partition">The partition, or null for the whole projection.</param>
    public ProjectionControlException(string message, string projectionName, int? partition)
        : base(message, projectionName)
    {
        Partition = partition;
    }

    /// <summary>The partition the request named, or null for the whole projection.</summary>
    public int? Partition { get; }
}
