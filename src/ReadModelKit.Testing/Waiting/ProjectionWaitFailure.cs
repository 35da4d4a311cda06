namespace ReadModelKit.Testing.Waiting;

/// <summary>Why a <see cref="ProjectionWait"/> ended without the projection getting there.</summary>
public enum ProjectionWaitFailure
{
    /// <summary>A partition of the projection is faulted (an event halted it); it will not move until restarted.</summary>
    Faulted,

    /// <summary>An event was dead-lettered (or parked behind one) while waiting: its row change will not show.</summary>
    DeadLettered,

    /// <summary>The timeout passed; the message carries the projection's status (lag, pending and held-back events, runners).</summary>
    TimedOut,
}
