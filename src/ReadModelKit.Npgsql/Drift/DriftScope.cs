using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Which keys a drift check looks at: all of them, those starting with a key prefix (one tenant when the first key column
/// is the tenant), a key range, or a prefix and a range together. Ranges compare keys in key-column order; text keys use the
/// column's collation within one database and byte order (<c>COLLATE "C"</c>) across databases.
/// </summary>
public sealed record DriftScope
{
    /// <summary>Every key.</summary>
    public static DriftScope All { get; } = new();

    /// <summary>Values the leading key columns must equal (for example the tenant id). Empty (the default) for no prefix.</summary>
    public IReadOnlyList<object> KeyPrefix { get; init; } = [];

    /// <summary>The lowest key included (a full key), or null for no lower bound.</summary>
    public RowKey? From { get; init; }

    /// <summary>The first key excluded (a full key), or null for no upper bound.</summary>
    public RowKey? To { get; init; }

    /// <summary>Whether the scope is every key.</summary>
    public bool IsAll => KeyPrefix.Count == 0 && From is null && To is null;

    /// <summary>The keys of one tenant: those whose first key column equals <paramref name="tenantId"/>.</summary>
    /// <param name="tenantId">The value of the first key column.</param>
    public static DriftScope Tenant(object tenantId)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return new DriftScope { KeyPrefix = [tenantId] };
    }

    /// <summary>The keys from <paramref name="from"/> (included) up to <paramref name="to"/> (excluded).</summary>
    /// <param name="from">The lowest key included, or null.</param>
    /// <param name="to">The first key excluded, or null.</param>
    public static DriftScope Range(RowKey? from, RowKey? to) => new() { From = from, To = to };

    /// <summary>The scope as text for reports and logs.</summary>
    public override string ToString()
    {
        if (IsAll)
        {
            return "all keys";
        }

        var parts = new List<string>();
        if (KeyPrefix.Count > 0)
        {
            parts.Add("prefix " + new RowKey([.. KeyPrefix]));
        }

        if (From is not null || To is not null)
        {
            parts.Add($"range [{From?.ToString() ?? "start"}, {To?.ToString() ?? "end"})");
        }

        return string.Join(", ", parts);
    }

    /// <summary>Every problem of this scope for a table with <paramref name="keyColumns"/> key columns.</summary>
    internal IReadOnlyList<string> Validate(int keyColumns)
    {
        var errors = new List<string>();
        if (KeyPrefix is null)
        {
            errors.Add("Scope.KeyPrefix is null: use an empty list for no prefix.");
        }
        else if (KeyPrefix.Count > keyColumns)
        {
            errors.Add($"Scope.KeyPrefix has {KeyPrefix.Count} values but the table has {keyColumns} key column(s): give at most one value per key column, in key-column order.");
        }
        else if (KeyPrefix.Any(v => v is null))
        {
            errors.Add("Scope.KeyPrefix contains null: key columns are NOT NULL, so give a value for each prefix column.");
        }

        foreach (var (bound, name) in new[] { (From, "From"), (To, "To") })
        {
            if (bound is not null && bound.Count != keyColumns)
            {
                errors.Add($"Scope.{name} is {bound} with {bound.Count} value(s) but the table has {keyColumns} key column(s): give a full key.");
            }
        }

        return errors;
    }
}
