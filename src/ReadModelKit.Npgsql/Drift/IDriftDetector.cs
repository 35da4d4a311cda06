using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>One strategy of comparing a projection with its source.</summary>
internal interface IDriftDetector
{
    /// <summary>Opens the snapshot(s) of a detection pass and reads its positions; the comparison then runs on the pass returned.</summary>
    Task<IDriftComparison> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Compares only <paramref name="keys"/>, in a fresh snapshot.</summary>
    Task<(DriftPass Pass, IReadOnlyList<DriftDifference> Differences)> RecheckAsync(IReadOnlyList<RowKey> keys, CancellationToken cancellationToken);
}
