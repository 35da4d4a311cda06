using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>One strategy of comparing a projection with its source.</summary>
internal interface IDriftDetector
{
    /// <summary>Compares every key in scope (or a sample) and hands the differences to <paramref name="sink"/>.</summary>
    Task<DriftPass> DetectAsync(DriftSink sink, CancellationToken cancellationToken);

    /// <summary>Compares only <paramref name="keys"/>, in a fresh snapshot.</summary>
    Task<(DriftPass Pass, IReadOnlyList<DriftDifference> Differences)> RecheckAsync(IReadOnlyList<RowKey> keys, CancellationToken cancellationToken);
}
