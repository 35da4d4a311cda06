using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Leases;

namespace ReadModelKit.Npgsql.Runner;

/// <summary>What the runner knows about one partition it holds, for one tenure (a new lease token starts a new instance).</summary>
internal sealed class PartitionWork
{
    public PartitionWork(string projectionName, PartitionLease lease)
    {
        Lease = lease;
        State = new ProjectionStateMachine(projectionName);
    }

    public PartitionLease Lease { get; }

    public int Partition => Lease.Partition;

    /// <summary>Whether an operator paused the partition (it then applies nothing).</summary>
    public bool Paused { get; set; }

    /// <summary>The restart generation last read from the control table; null before the first read of this tenure.</summary>
    public long? RestartGeneration { get; set; }

    /// <summary>Whether the heartbeat released the partition to rebalance (a later fenced batch is then expected, not a loss).</summary>
    public bool Released { get; set; }

    /// <summary>The checkpoint as last read or written; null when it must be read again.</summary>
    public StreamPosition? Checkpoint { get; set; }

    public ProjectionStateMachine State { get; }

    /// <summary>Whether the state and error were recorded for this tenure.</summary>
    public bool StateSaved { get; set; }

    /// <summary>The error recorded in the checkpoint row, to clear it after the next success.</summary>
    public string? SavedError { get; set; }

    /// <summary>Halted by a poison event under the Halt policy: skipped until the runner restarts.</summary>
    public bool Halted { get; set; }

    /// <summary>Whether the last read found committed events waiting behind an older running transaction.</summary>
    public bool HeldBack { get; set; }

    /// <summary>When the checkpoint was last moved up to the horizon while idle.</summary>
    public DateTimeOffset? LastIdleAdvance { get; set; }
}
