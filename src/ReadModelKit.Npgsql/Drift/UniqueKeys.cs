using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Notices a key the recompute query returns twice among the rows of one statement (the key's block or chunk holds all its rows, so
/// one statement sees every copy). Read-model keys are unique by the table's key, so only the expected side is tracked.
/// </summary>
internal sealed class UniqueKeys(DriftTable table, bool expectedSide)
{
    private readonly HashSet<RowKey>? _seen = expectedSide ? [] : null;

    /// <summary>Returns <paramref name="key"/>.</summary>
    /// <exception cref="RecomputeSqlException">The expected side returned the key before.</exception>
    public RowKey Add(RowKey key) => _seen is null || _seen.Add(key)
        ? key
        : throw RecomputeSqlException.DuplicateKey(table.ProjectionName, key.ToString());
}
