using ReadModelKit.Exceptions;

namespace ReadModelKit.Hosting.Commands;

/// <summary>A command line that names something that does not exist or combines options that exclude each other. The message says what to type instead.</summary>
public sealed class CommandUsageException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to type instead.</param>
    /// <param name="projectionName">The projection concerned, if any.</param>
    public CommandUsageException(string message, string? projectionName = null)
        : base(message, projectionName)
    {
    }
}
