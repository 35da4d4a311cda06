namespace ReadModelKit.Exceptions;

/// <summary>A projection contract (or a set of contracts in one host) contradicts itself. <see cref="Errors"/> lists every problem.</summary>
public sealed class ProjectionContractException : ReadModelKitException
{
    /// <summary>Creates the exception from the list of problems.</summary>
    /// <param name="projectionName">The projection whose contract is invalid.</param>
    /// <param name="errors">Every problem found.</param>
    public ProjectionContractException(string? projectionName, IReadOnlyList<string> errors)
        : base(Format(projectionName, errors), projectionName)
    {
        Errors = errors;
    }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Format(string? projectionName, IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var subject = projectionName is null ? "The projection contracts are" : $"Projection contract '{projectionName}' is";
        var noun = errors.Count == 1 ? "problem" : "problems";
        return $"{subject} invalid ({errors.Count} {noun}); fix them and start again:{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", errors)}";
    }
}
