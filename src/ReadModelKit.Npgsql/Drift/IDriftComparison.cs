namespace ReadModelKit.Npgsql.Drift;

/// <summary>An open detection pass: its positions, then one comparison of every key in scope (or a sample).</summary>
internal interface IDriftComparison : IAsyncDisposable
{
    /// <summary>The positions read in the pass's snapshots.</summary>
    DriftPass Pass { get; }

    /// <summary>The row hash the comparison uses to report rows, or null when every reported row was compared with IS DISTINCT FROM.</summary>
    DriftRowHash? RowHash { get; }

    /// <summary>Compares and hands what it finds to <paramref name="findings"/>; commits the pass's read-only transactions.</summary>
    Task CompareAsync(DriftFindings findings, CancellationToken cancellationToken);
}
