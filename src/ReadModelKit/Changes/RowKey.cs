using System.Collections;
using System.Globalization;

namespace ReadModelKit.Changes;

/// <summary>The key of a read-model row: the values of its key columns in order (composite keys allowed). Compared by value.</summary>
public sealed class RowKey : IEquatable<RowKey>, IReadOnlyList<object>
{
    private readonly object[] _parts;

    /// <summary>Creates a key from its column values, in key-column order.</summary>
    /// <param name="parts">The key values; none may be null.</param>
    /// <exception cref="ArgumentException">No part was given, or a part is null.</exception>
    public RowKey(params object[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0)
        {
            throw new ArgumentException("A row key needs at least one value.", nameof(parts));
        }

        if (Array.IndexOf(parts, null) >= 0)
        {
            throw new ArgumentException("Row key values cannot be null: key columns are NOT NULL.", nameof(parts));
        }

        _parts = (object[])parts.Clone();
    }

    /// <inheritdoc />
    public int Count => _parts.Length;

    /// <inheritdoc />
    public object this[int index] => _parts[index];

    /// <inheritdoc />
    public bool Equals(RowKey? other) =>
        other is not null && _parts.AsSpan().SequenceEqual(other._parts, EqualityComparer<object>.Default);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as RowKey);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var part in _parts)
        {
            hash.Add(part);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public IEnumerator<object> GetEnumerator() => ((IEnumerable<object>)_parts).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _parts.GetEnumerator();

    /// <summary>The key as <c>(a, b)</c>.</summary>
    public override string ToString() =>
        "(" + string.Join(", ", _parts.Select(p => Convert.ToString(p, CultureInfo.InvariantCulture))) + ")";
}
