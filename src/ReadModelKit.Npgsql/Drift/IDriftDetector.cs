using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>One strategy of comparing a projection with its source.</summary>
internal interface IDriftDetector
{
    /// <summary>
    /// Compares every key in scope (or a sample), hands the differences to <paramref name="sink"/> (after telling it the pass, see
    /// <see cref="DriftSink.Begin"/>) and returns the pass and the row hash the comparison used (null when rows were compared directly).
    /// </summary>
    Task<(DriftPass Pass, DriftRowHash? RowHash)> DetectAsync(DriftSink sink, CancellationToken cancellationToken);

    /// <summary>Compares only <paramref name="keys"/>, in a fresh snapshot.</summary>
    Task<(DriftPass Pass, IReadOnlyList<DriftDifference> Differences)> RecheckAsync(IReadOnlyList<RowKey> keys, CancellationToken cancellationToken);
}
