using ReadModelKit.Exceptions;

namespace ReadModelKit.Testing.Scenarios;

/// <summary>A projection scenario did not end as expected; the message lists every mismatch, the events given and the rows found.</summary>
public sealed class ProjectionScenarioException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="mismatches">Every expectation that failed, and every unexpected dead letter.</param>
    /// <param name="message">The report.</param>
    public ProjectionScenarioException(string projectionName, IReadOnlyList<string> mismatches, string message)
        : base(message, projectionName)
    {
        Mismatches = mismatches;
    }

    /// <summary>Every expectation that failed, and every unexpected dead letter, one line each.</summary>
    public IReadOnlyList<string> Mismatches { get; }
}
