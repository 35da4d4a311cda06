using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>The rows of a <see cref="HashedRows.Leaves"/> statement: identity, row hash, rows sharing the identity, then the key columns.</summary>
internal sealed class LeafRows(CountedRows rows, int keyCount) : ILeafRows
{
    /// <inheritdoc />
    public long Identity => rows.Row.GetInt64(0);

    /// <inheritdoc />
    public long Hash => rows.Row.GetInt64(1);

    /// <inheritdoc />
    public bool Shared => rows.Row.GetInt64(2) > 1;

    /// <inheritdoc />
    public Task<bool> ReadAsync(CancellationToken cancellationToken) => rows.ReadAsync(cancellationToken);

    /// <inheritdoc />
    public RowKey Key() => new(DriftReading.Key(rows.Row, 3, keyCount)!);
}
