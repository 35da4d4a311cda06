using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>A rebuild was requested while another run of the same projection has not finished. Nothing was created.</summary>
public sealed class RebuildAlreadyRunningException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="active">The run that is still active.</param>
    public RebuildAlreadyRunningException(string projectionName, RebuildRun active)
        : base($"Projection '{projectionName}' already has rebuild run {active.Id} (v{active.FromVersion} -> v{active.ToVersion}) in state {active.State}: only one rebuild per projection runs at a time. Finish it (resume it with RunAsync, then CutoverAsync and RetireAsync), roll it back, or cancel it with CancelAsync before starting another.", projectionName)
    {
        Active = active;
    }

    /// <summary>The run that is still active.</summary>
    public RebuildRun Active { get; }
}
