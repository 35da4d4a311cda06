namespace ReadModelKit.Npgsql.Mapping;

/// <summary>
/// How a projection maps onto the application's own read-model table: the key columns, the version column
/// that guards against older events, the bookkeeping columns and the value columns the projection writes.
/// Checked against the live table at start-up by <see cref="ReadModelTableInspector"/>.
/// </summary>
public sealed record ReadModelTableMapping
{
    /// <summary>The table's schema; <see langword="null"/> (the default) means the connection's current schema.</summary>
    public string? Schema { get; init; }

    /// <summary>The read-model table.</summary>
    public required string Table { get; init; }

    /// <summary>The key columns in order (composite keys allowed, for example <c>tenant_id</c>, <c>case_id</c>). They need a unique index or primary key on exactly these columns.</summary>
    public required IReadOnlyList<string> KeyColumns { get; init; }

    /// <summary>The integer column holding the version of the change a row reflects. Default <c>version</c>.</summary>
    public string VersionColumn { get; init; } = "version";

    /// <summary>The <c>timestamptz</c> column set to the time a row was written, or <see langword="null"/> for none. Default <c>projected_at</c>.</summary>
    public string? ProjectedAtColumn { get; init; } = "projected_at";

    /// <summary>
    /// The <c>timestamptz</c> column that marks a row as deleted (a tombstone), or <see langword="null"/> when the projection
    /// never deletes. Default <c>deleted_at</c>. Tombstoned rows keep key and version, and their value columns are set to NULL,
    /// so value columns must be nullable.
    /// </summary>
    public string? TombstoneColumn { get; init; } = "deleted_at";

    /// <summary>The value columns the projection writes.</summary>
    public required IReadOnlyList<string> ValueColumns { get; init; }

    /// <summary>
    /// Optional SQL over the authoritative tables returning, for every key, the row the read model should hold:
    /// the key columns and the value columns, named as in the read-model table. It is the projection's expected
    /// state: recompute changes (aggregate tables), drift detection, repair and rebuild all run it, filtered to the keys they need.
    /// </summary>
    public string? RecomputeSql { get; init; }

    /// <summary>
    /// Whether <see cref="RecomputeSql"/> also returns the version column (the source's version of each row, under the read-model
    /// version column's name). Recompute and drift repair then write that version, so later events keep applying and redelivered
    /// older ones are still dropped; otherwise they write the row's version + 1. Default false.
    /// </summary>
    public bool RecomputeReturnsVersion { get; init; }
}
