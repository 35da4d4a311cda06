using System.Globalization;
using System.Text;

namespace ReadModelKit.Testing.Harness;

/// <summary>One row of a read-model table as the testing helpers compare it: key, version, value columns and whether it is a tombstone.</summary>
public sealed record ReadModelRow
{
    /// <summary>The key as <c>(a, b)</c>, the same text as <see cref="Changes.RowKey.ToString"/>.</summary>
    public required string Key { get; init; }

    /// <summary>The version column.</summary>
    public required long Version { get; init; }

    /// <summary>Whether the row is a tombstone (deleted; hidden from readers).</summary>
    public required bool IsTombstone { get; init; }

    /// <summary>The value columns by name, as Npgsql read them (NULL as <see langword="null"/>).</summary>
    public required IReadOnlyDictionary<string, object?> Values { get; init; }

    /// <summary>The row's comparable text: <c>(key) v3 status='open' count=2</c>, or <c>(key) v4 tombstone</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Key).Append(" v").Append(Version.ToString(CultureInfo.InvariantCulture));
        if (IsTombstone)
        {
            return text.Append(" tombstone").ToString();
        }

        foreach (var (column, value) in Values)
        {
            text.Append(' ').Append(column).Append('=').Append(Format(value));
        }

        return text.ToString();
    }

    /// <summary>A value as the helpers print and compare it: strings quoted, NULL as <c>NULL</c>, numbers and dates invariant.</summary>
    /// <param name="value">The value.</param>
    public static string Format(object? value) => value switch
    {
        null or DBNull => "NULL",
        string s => "'" + s + "'",
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Format)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
