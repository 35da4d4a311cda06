using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>One side's leaf rows in identity order, as <see cref="LeafMerge"/> reads them.</summary>
internal interface ILeafRows
{
    /// <summary>The current row's key identity (a 64-bit hash of the key).</summary>
    long Identity { get; }

    /// <summary>The current row's row hash.</summary>
    long Hash { get; }

    /// <summary>Other rows of this side share the current row's identity.</summary>
    bool Shared { get; }

    /// <summary>Advances to the next row; false at the end.</summary>
    Task<bool> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Reads the current row's key.</summary>
    RowKey Key();
}
