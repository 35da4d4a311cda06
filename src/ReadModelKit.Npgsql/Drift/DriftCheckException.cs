using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>A drift check or repair cannot run as asked (no recompute query, invalid options, incompatible servers); the message says what to change.</summary>
public class DriftCheckException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="projectionName">The projection concerned, if any.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public DriftCheckException(string message, string? projectionName = null, Exception? innerException = null)
        : base(message, projectionName, innerException)
    {
    }
}
