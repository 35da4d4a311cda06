using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;

namespace ReadModelKit.Npgsql.Runner;

/// <summary>A batch the runner committed: every outbox transaction after <see cref="From"/> up to <see cref="To"/> of the partition is now visible in the read model.</summary>
public sealed class BatchAppliedEventArgs : EventArgs
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="partition">The partition.</param>
    /// <param name="from">The checkpoint before the batch (exclusive).</param>
    /// <param name="to">The checkpoint after the batch (inclusive).</param>
    /// <param name="result">What the batch did.</param>
    public BatchAppliedEventArgs(int partition, StreamPosition from, StreamPosition to, ApplyResult result)
    {
        Partition = partition;
        From = from;
        To = to;
        Result = result;
    }

    /// <summary>The partition.</summary>
    public int Partition { get; }

    /// <summary>The checkpoint before the batch (exclusive).</summary>
    public StreamPosition From { get; }

    /// <summary>The checkpoint after the batch (inclusive).</summary>
    public StreamPosition To { get; }

    /// <summary>What the batch did.</summary>
    public ApplyResult Result { get; }
}
