using ReadModelKit.Events;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>
/// The checkpoint moved underneath a batch (another applier committed first, or a node lost its partition):
/// the batch was rolled back. Re-read the checkpoint and fetch from there; do not retry the same batch blindly.
/// </summary>
public sealed class CheckpointConflictException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="partition">The checkpoint partition.</param>
    /// <param name="expected">The position the batch expected the checkpoint at, or null when it took the stored one.</param>
    public CheckpointConflictException(string projectionName, int partition, StreamPosition? expected)
        : base($"The checkpoint of projection '{projectionName}' (partition {partition}) is no longer at {(expected is { } e ? e.ToString() : "the position the batch read")}: another applier committed first. The batch was rolled back; re-read the checkpoint and continue from there.", projectionName)
    {
        Partition = partition;
        Expected = expected;
    }

    /// <summary>The checkpoint partition.</summary>
    public int Partition { get; }

    /// <summary>The expected position, if the caller gave one.</summary>
    public StreamPosition? Expected { get; }
}
