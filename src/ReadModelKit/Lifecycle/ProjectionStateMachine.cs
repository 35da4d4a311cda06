using ReadModelKit.Exceptions;

namespace ReadModelKit.Lifecycle;

/// <summary>The current lifecycle state of one projection; every change goes through <see cref="ProjectionLifecycle"/>. Thread-safe.</summary>
public sealed class ProjectionStateMachine
{
    private readonly object _gate = new();
    private ProjectionState _current;

    /// <summary>Creates the state machine.</summary>
    /// <param name="projectionName">The projection the state belongs to.</param>
    /// <param name="initial">The starting state. Default <see cref="ProjectionLifecycle.Initial"/>.</param>
    public ProjectionStateMachine(string projectionName, ProjectionState initial = ProjectionLifecycle.Initial)
    {
        ArgumentNullException.ThrowIfNull(projectionName);
        if (!Enum.IsDefined(initial))
        {
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "Unknown projection state.");
        }

        ProjectionName = projectionName;
        _current = initial;
    }

    /// <summary>The projection the state belongs to.</summary>
    public string ProjectionName { get; }

    /// <summary>The current state.</summary>
    public ProjectionState Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Moves to <paramref name="to"/>, or throws when the transition is illegal (the state is then unchanged).</summary>
    /// <param name="to">The requested state.</param>
    /// <returns>The previous state.</returns>
    /// <exception cref="InvalidProjectionTransitionException">The transition is not legal.</exception>
    public ProjectionState TransitionTo(ProjectionState to)
    {
        lock (_gate)
        {
            var previous = _current;
            _current = ProjectionLifecycle.Transition(ProjectionName, previous, to);
            return previous;
        }
    }

    /// <summary>Moves to <paramref name="to"/> when legal.</summary>
    /// <param name="to">The requested state.</param>
    /// <returns>Whether the state is now <paramref name="to"/>.</returns>
    public bool TryTransitionTo(ProjectionState to)
    {
        lock (_gate)
        {
            if (!ProjectionLifecycle.CanTransition(_current, to))
            {
                return false;
            }

            _current = to;
            return true;
        }
    }
}
