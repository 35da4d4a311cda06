using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Which keys a repair in place recomputes: one key, one tenant (a key prefix), a key range, or everything. Ranges compare keys in
/// key-column order with the columns' collations.
/// </summary>
public sealed record RepairScope
{
    /// <summary>Every key.</summary>
    public static RepairScope All { get; } = new();

    /// <summary>Values the leading key columns must equal (a whole key for one entity, the tenant id for one tenant). Empty for none.</summary>
    public IReadOnlyList<object> KeyPrefix { get; init; } = [];

    /// <summary>The lowest key included (a full key), or null.</summary>
    public RowKey? From { get; init; }

    /// <summary>The first key excluded (a full key), or null.</summary>
    public RowKey? To { get; init; }

    /// <summary>One entity.</summary>
    /// <param name="key">Its full key.</param>
    public static RepairScope Key(RowKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new RepairScope { KeyPrefix = [.. key] };
    }

    /// <summary>One tenant: the keys whose first key column equals <paramref name="tenantId"/>.</summary>
    /// <param name="tenantId">The first key column's value.</param>
    public static RepairScope Tenant(object tenantId)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return new RepairScope { KeyPrefix = [tenantId] };
    }

    /// <summary>The keys from <paramref name="from"/> (included) to <paramref name="to"/> (excluded); either may be null.</summary>
    /// <param name="from">The lowest key included.</param>
    /// <param name="to">The first key excluded.</param>
    public static RepairScope Range(RowKey? from, RowKey? to) => new() { From = from, To = to };

    /// <inheritdoc />
    public override string ToString() =>
        KeyPrefix.Count == 0 && From is null && To is null
            ? "all keys"
            : string.Join(", ", new[]
            {
                KeyPrefix.Count > 0 ? "prefix " + new RowKey([.. KeyPrefix]) : null,
                From is not null || To is not null ? $"range [{From?.ToString() ?? "start"}, {To?.ToString() ?? "end"})" : null,
            }.OfType<string>());

    /// <summary>Every problem of this scope for a table with <paramref name="keyColumns"/> key columns.</summary>
    internal IReadOnlyList<string> Validate(int keyColumns)
    {
        var errors = new List<string>();
        if (KeyPrefix is null || KeyPrefix.Count > keyColumns || KeyPrefix.Any(v => v is null))
        {
            errors.Add($"KeyPrefix must hold at most {keyColumns} non-null value(s), one per leading key column in key-column order.");
        }

        foreach (var (bound, name) in new[] { (From, "From"), (To, "To") })
        {
            if (bound is not null && bound.Count != keyColumns)
            {
                errors.Add($"{name} is {bound} with {bound.Count} value(s) but the table has {keyColumns} key column(s): give a full key.");
            }
        }

        return errors;
    }
}
