using ReadModelKit.Lifecycle;

namespace ReadModelKit.Exceptions;

/// <summary>A lifecycle transition that the projection state machine does not allow was requested.</summary>
public sealed class InvalidProjectionTransitionException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection concerned.</param>
    /// <param name="from">The current state.</param>
    /// <param name="to">The requested state.</param>
    public InvalidProjectionTransitionException(string? projectionName, ProjectionState from, ProjectionState to)
        : base(
            $"Projection '{projectionName}' cannot move from {from} to {to}. Allowed from {from}: {Allowed(from)}.",
            projectionName)
    {
        From = from;
        To = to;
    }

    /// <summary>The state the projection was in.</summary>
    public ProjectionState From { get; }

    /// <summary>The state that was requested.</summary>
    public ProjectionState To { get; }

    private static string Allowed(ProjectionState from)
    {
        var targets = ProjectionLifecycle.AllowedTransitions(from);
        return targets.Count == 0 ? "none (terminal state)" : string.Join(", ", targets);
    }
}
