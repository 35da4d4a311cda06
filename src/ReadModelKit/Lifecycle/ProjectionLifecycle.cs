using System.Collections.Frozen;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Lifecycle;

/// <summary>The legal transitions between <see cref="ProjectionState"/> values.</summary>
/// <remarks>
/// Live is reached only by catching up (or by recovering from Stale), so a projection never claims to be
/// live straight after a fault, a pause or a rebuild. Retired is terminal.
/// </remarks>
public static class ProjectionLifecycle
{
    /// <summary>The state every projection starts in.</summary>
    public const ProjectionState Initial = ProjectionState.CatchingUp;

    private static readonly FrozenDictionary<ProjectionState, ProjectionState[]> Transitions =
        new Dictionary<ProjectionState, ProjectionState[]>
        {
            [ProjectionState.CatchingUp] = [ProjectionState.Live, ProjectionState.Stale, ProjectionState.Faulted, ProjectionState.Paused, ProjectionState.Rebuilding, ProjectionState.Retired],
            [ProjectionState.Live] = [ProjectionState.CatchingUp, ProjectionState.Stale, ProjectionState.Faulted, ProjectionState.Paused, ProjectionState.Rebuilding, ProjectionState.Retired],
            [ProjectionState.Stale] = [ProjectionState.Live, ProjectionState.CatchingUp, ProjectionState.Faulted, ProjectionState.Paused, ProjectionState.Rebuilding],
            [ProjectionState.Faulted] = [ProjectionState.CatchingUp, ProjectionState.Paused, ProjectionState.Rebuilding, ProjectionState.Retired],
            [ProjectionState.Paused] = [ProjectionState.CatchingUp, ProjectionState.Rebuilding, ProjectionState.Retired],
            [ProjectionState.Rebuilding] = [ProjectionState.CatchingUp, ProjectionState.Faulted, ProjectionState.Paused],
            [ProjectionState.Retired] = [],
        }.ToFrozenDictionary();

    /// <summary>The states reachable in one step from <paramref name="from"/>.</summary>
    /// <param name="from">The current state.</param>
    public static IReadOnlyList<ProjectionState> AllowedTransitions(ProjectionState from) =>
        Transitions.TryGetValue(from, out var targets) ? targets : [];

    /// <summary>Whether moving from <paramref name="from"/> to <paramref name="to"/> is legal. Staying in the same state is always legal.</summary>
    /// <param name="from">The current state.</param>
    /// <param name="to">The requested state.</param>
    public static bool CanTransition(ProjectionState from, ProjectionState to) =>
        (from == to && Enum.IsDefined(from)) || AllowedTransitions(from).Contains(to);

    /// <summary>Returns <paramref name="to"/> when the transition is legal, otherwise throws.</summary>
    /// <param name="projectionName">The projection, for the error message.</param>
    /// <param name="from">The current state.</param>
    /// <param name="to">The requested state.</param>
    /// <exception cref="InvalidProjectionTransitionException">The transition is not legal.</exception>
    public static ProjectionState Transition(string? projectionName, ProjectionState from, ProjectionState to) =>
        CanTransition(from, to) ? to : throw new InvalidProjectionTransitionException(projectionName, from, to);
}
