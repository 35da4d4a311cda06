namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// What one comparison found: the differences, handed on in batches as they are found (so memory stays bounded), and how many rows and
/// ranges it compared. The comparison does not decide what a difference means: whoever opened the pass routes them (confirmed drift
/// when the pass was caught up, else candidates to re-check; see <see cref="DriftSink"/>). Thread-safe counters.
/// </summary>
internal sealed class DriftFindings(Func<IReadOnlyList<DriftDifference>, CancellationToken, Task> found)
{
    private long _checked;
    private long _ranges;

    /// <summary>Rows compared (live read-model rows, and source rows missing from the read model).</summary>
    public long CheckedRows => Interlocked.Read(ref _checked);

    /// <summary>Chunks or blocks compared beyond the first level.</summary>
    public long Ranges => Interlocked.Read(ref _ranges);

    /// <summary>Counts compared rows.</summary>
    public void AddChecked(long rows) => Interlocked.Add(ref _checked, rows);

    /// <summary>Counts compared ranges.</summary>
    public void AddRanges(long ranges) => Interlocked.Add(ref _ranges, ranges);

    /// <summary>Hands on differences found.</summary>
    public Task AddAsync(IReadOnlyList<DriftDifference> differences, CancellationToken cancellationToken) =>
        differences.Count == 0 ? Task.CompletedTask : found(differences, cancellationToken);
}
