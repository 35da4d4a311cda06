using ReadModelKit.Exceptions;

namespace ReadModelKit.Testing.Laws;

/// <summary>A projection broke one or more laws; the message prints, per law, the minimal history, its delivery and the rows that differ.</summary>
public sealed class ProjectionLawException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="brokenLaws">The laws it broke.</param>
    /// <param name="message">The report.</param>
    public ProjectionLawException(string projectionName, IReadOnlyList<ProjectionLaw> brokenLaws, string message)
        : base(message, projectionName)
    {
        BrokenLaws = brokenLaws;
    }

    /// <summary>The laws the projection broke.</summary>
    public IReadOnlyList<ProjectionLaw> BrokenLaws { get; }
}
