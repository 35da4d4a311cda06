namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// How key tuples are ordered and compared in SQL. Both sides of a check must order keys the same way, so text keys carry an explicit
/// collation: the read-model column's own within one database (its index stays usable), byte order (<c>COLLATE "C"</c>) across databases.
/// </summary>
internal sealed class KeyOrder
{
    private readonly string[] _collate;

    public KeyOrder(IReadOnlyList<DriftColumn> keys, bool byteWise)
    {
        _collate = keys.Select(k => k.Collation is null ? "" : byteWise ? " COLLATE \"C\"" : " COLLATE " + k.Collation).ToArray();
    }

    /// <summary>The key expressions as one comparable tuple (a plain value for single-column keys).</summary>
    public string Tuple(IReadOnlyList<string> expressions)
    {
        var parts = expressions.Select((e, i) => e + _collate[i]).ToList();
        return parts.Count == 1 ? parts[0] : $"ROW({string.Join(", ", parts)})";
    }

    /// <summary><c>left op right</c> in key order; the collation of the left side decides.</summary>
    public string Compare(IReadOnlyList<string> left, string op, IReadOnlyList<string> right) =>
        $"{Tuple(left)} {op} {(right.Count == 1 ? right[0] : $"ROW({string.Join(", ", right)})")}";

    /// <summary>An ORDER BY list in key order (or its reverse).</summary>
    public string OrderBy(IReadOnlyList<string> expressions, bool descending = false) =>
        string.Join(", ", expressions.Select((e, i) => e + _collate[i] + (descending ? " DESC" : "")));
}
