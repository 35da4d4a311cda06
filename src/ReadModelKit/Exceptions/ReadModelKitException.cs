namespace ReadModelKit.Exceptions;

/// <summary>The root of every exception ReadModelKit throws on purpose.</summary>
public class ReadModelKitException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="projectionName">The projection concerned, when there is one.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public ReadModelKitException(string message, string? projectionName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ProjectionName = projectionName;
    }

    /// <summary>The projection concerned, or <see langword="null"/> when the error is not about one projection.</summary>
    public string? ProjectionName { get; }
}
