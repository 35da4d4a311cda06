using System.Globalization;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// SQL for walking a table in key order: keys travel as one <c>text[]</c> parameter (each key column as text) and are cast back to the
/// column types in SQL, so a cursor of any key types is stored and resumed exactly, and comparisons still use the key's index.
/// </summary>
internal static class KeyCursor
{
    /// <summary>The key columns as a row, for example <c>(q."tenant_id", q."case_id")</c>; the first <paramref name="count"/> only when given.</summary>
    public static string Row(ReadModelTable table, string alias, int? count = null) =>
        "(" + string.Join(", ", table.Keys.Take(count ?? table.Keys.Count).Select(k => alias + "." + ReadModelTable.Quote(k.Name))) + ")";

    /// <summary>A <c>text[]</c> parameter as a row of the key types; the first <paramref name="count"/> columns only when given.</summary>
    public static string Parameter(ReadModelTable table, int parameter, int? count = null) =>
        "(" + string.Join(", ", table.Keys.Take(count ?? table.Keys.Count).Select((k, i) => $"(${parameter}::text[])[{i + 1}]::{k.FormattedType}")) + ")";

    /// <summary>The key columns of <paramref name="alias"/> as one <c>text[]</c> value.</summary>
    public static string AsText(ReadModelTable table, string alias) =>
        "ARRAY[" + string.Join(", ", table.Keys.Select(k => $"{alias}.{ReadModelTable.Quote(k.Name)}::text")) + "]";

    /// <summary>The key columns of <paramref name="alias"/> for ORDER BY.</summary>
    public static string OrderBy(ReadModelTable table, string alias, bool descending = false) =>
        string.Join(", ", table.Keys.Select(k => $"{alias}.{ReadModelTable.Quote(k.Name)}{(descending ? " DESC" : "")}"));

    /// <summary>Key values as the text PostgreSQL reads back into the column types.</summary>
    public static string[] ToText(IEnumerable<object> values) => values.Select(ToText).ToArray();

    private static string ToText(object value) => value switch
    {
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset o => o.ToString("O", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? throw new ArgumentException("A key value cannot be null: key columns are NOT NULL.", nameof(value)),
    };
}
