using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The key predicates of one statement: the check's scope (key prefix, key range) and optionally one block (lower, upper].
/// Construct it before binding the <see cref="KeyArrays"/> (it adds its tuples there), render it after.
/// </summary>
internal sealed class KeyRangeSql
{
    private readonly KeyArrays _arrays;
    private readonly int _prefixLength;
    private readonly int _prefix = -1;
    private readonly int _from = -1;
    private readonly int _to = -1;
    private readonly int _lower = -1;
    private readonly int _upper = -1;

    public KeyRangeSql(KeyArrays arrays, int keyCount, DriftScope scope, KeyBlock? block)
    {
        _arrays = arrays;
        _prefixLength = scope.KeyPrefix.Count;
        if (_prefixLength > 0)
        {
            _prefix = arrays.Add(Pad(scope.KeyPrefix, keyCount));
        }

        _from = scope.From is { } from ? arrays.Add(Values(from)) : -1;
        _to = scope.To is { } to ? arrays.Add(Values(to)) : -1;
        _lower = block?.Lower is { } lower ? arrays.Add(lower) : -1;
        _upper = block?.Upper is { } upper ? arrays.Add(upper) : -1;
    }

    /// <summary>
    /// The predicates of <paramref name="scope"/> and <paramref name="block"/> over the keys of <paramref name="table"/>, with the
    /// parameters of a new statement they are bound to (add the statement's other parameters after them).
    /// </summary>
    public static (SqlParameters Parameters, KeyRangeSql Where) Bound(DriftTable table, DriftScope scope, KeyBlock block)
    {
        var parameters = new SqlParameters();
        var arrays = table.NewKeyArrays();
        var where = new KeyRangeSql(arrays, table.Keys.Count, scope, block);
        arrays.Bind(parameters);
        return (parameters, where);
    }

    /// <summary>The predicates over <paramref name="keys"/> (the key expressions of one side), or <c>true</c>.</summary>
    public string Where(KeyOrder order, IReadOnlyList<string> keys)
    {
        var parts = new List<string>();
        if (_prefix >= 0)
        {
            var values = _arrays.Ref(_prefix);
            for (var i = 0; i < _prefixLength; i++)
            {
                parts.Add($"{keys[i]} = {values[i]}");
            }
        }

        Add(parts, order, keys, _from, ">=");
        Add(parts, order, keys, _to, "<");
        Add(parts, order, keys, _lower, ">");
        Add(parts, order, keys, _upper, "<=");
        return parts.Count == 0 ? "true" : string.Join(" AND ", parts);
    }

    private void Add(List<string> parts, KeyOrder order, IReadOnlyList<string> keys, int index, string op)
    {
        if (index >= 0)
        {
            parts.Add(order.Compare(keys, op, _arrays.Ref(index)));
        }
    }

    private static object?[] Values(RowKey key) => [.. key];

    private static object?[] Pad(IReadOnlyList<object> prefix, int keyCount)
    {
        var values = new object?[keyCount];
        for (var i = 0; i < prefix.Count; i++)
        {
            values[i] = prefix[i];
        }

        return values;
    }
}
