using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Leases;

/// <summary>A runner was configured with a partition count other than the one the projection's partitions were created with.</summary>
public sealed class PartitionCountMismatchException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="configured">The runner's partition count.</param>
    /// <param name="existing">The partition count stored in the lease table.</param>
    public PartitionCountMismatchException(string projectionName, int configured, int existing)
        : this($"Projection '{projectionName}' is split into {existing} partition(s), but this runner is configured with PartitionCount = {configured}. Every node must use the same count: set ProjectionRunnerOptions.PartitionCount to {existing}, or repartition as described in docs/runner.md (stop all nodes, then reset the projection's lease and checkpoint rows).", projectionName, configured, existing)
    {
    }

    private PartitionCountMismatchException(string message, string projectionName, int configured, int existing)
        : base(message, projectionName)
    {
        Configured = configured;
        Existing = existing;
    }

    /// <summary>The runner's partition count.</summary>
    public int Configured { get; }

    /// <summary>The stored partition count.</summary>
    public int Existing { get; }

    /// <summary>The lease rows of the projection were written with different partition counts (or some are missing); <see cref="Existing"/> is the highest.</summary>
    internal static PartitionCountMismatchException Disagreeing(string projectionName, int configured, int rows, int lowest, int highest) =>
        new(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The lease rows of projection '{projectionName}' disagree on the partition count ({rows} row(s) with counts {lowest} to {highest}), so this runner (PartitionCount = {configured}) cannot start. Repartition as described in docs/runner.md (stop every node, delete the projection's lease rows, align its checkpoint rows), then start every node with the same PartitionCount."),
            projectionName,
            configured,
            highest);
}
