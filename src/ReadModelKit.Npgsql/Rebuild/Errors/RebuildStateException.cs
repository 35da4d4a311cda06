using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>A rebuild operation was requested in a state that does not allow it (cutover before the gate passed, rollback after retire, …). Nothing was changed.</summary>
public sealed class RebuildStateException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="operation">The refused operation (for example <c>cutover</c>).</param>
    /// <param name="state">The run's state, or null when the projection has no run.</param>
    /// <param name="message">What is wrong and what to do.</param>
    public RebuildStateException(string projectionName, string operation, RebuildRunState? state, string message)
        : base(message, projectionName)
    {
        Operation = operation;
        State = state;
    }

    /// <summary>The refused operation.</summary>
    public string Operation { get; }

    /// <summary>The run's state, or null when the projection has no run.</summary>
    public RebuildRunState? State { get; }
}
