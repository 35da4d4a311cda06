namespace ReadModelKit.Changes;

/// <summary>A versioned change a projection emits for one read-model row.</summary>
public sealed record RowChange
{
    private RowChange(RowChangeKind kind, RowKey key, long version, IReadOnlyDictionary<string, object?> values)
    {
        Kind = kind;
        Key = key;
        Version = version;
        Values = values;
    }

    /// <summary>Whether the change upserts or tombstones the row.</summary>
    public RowChangeKind Kind { get; }

    /// <summary>The row's key.</summary>
    public RowKey Key { get; }

    /// <summary>The version of the change; a change never overwrites a row holding a version at or above it.</summary>
    public long Version { get; }

    /// <summary>The value columns to write (empty for a tombstone).</summary>
    public IReadOnlyDictionary<string, object?> Values { get; }

    /// <summary>An upsert of <paramref name="key"/> at <paramref name="version"/> with the given column values.</summary>
    /// <param name="key">The row key.</param>
    /// <param name="version">The change's version.</param>
    /// <param name="values">Column name → value, for the mapped value columns.</param>
    public static RowChange Upsert(RowKey key, long version, IReadOnlyDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(values);
        return new RowChange(RowChangeKind.Upsert, key, version, values);
    }

    /// <summary>A tombstone of <paramref name="key"/> at <paramref name="version"/>.</summary>
    /// <param name="key">The row key.</param>
    /// <param name="version">The delete's version.</param>
    public static RowChange Tombstone(RowKey key, long version)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new RowChange(RowChangeKind.Tombstone, key, version, EmptyValues);
    }

    /// <summary>
    /// A request to recompute the row of <paramref name="key"/> from the authoritative tables (the table mapping's recompute query).
    /// Use it for aggregate tables: the row is replaced by the recomputed values, so a duplicate event cannot count twice.
    /// </summary>
    /// <param name="key">The aggregate row's key (for example the case id, or tenant + day).</param>
    public static RowChange Recompute(RowKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new RowChange(RowChangeKind.Recompute, key, 0, EmptyValues);
    }

    private static readonly IReadOnlyDictionary<string, object?> EmptyValues = new Dictionary<string, object?>();
}
