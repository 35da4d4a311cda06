using System.Globalization;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Hosting.Commands;

/// <summary>Row keys typed on the command line: values separated by <c>/</c>, each converted to its key column's type.</summary>
internal static class KeyText
{
    public static RowKey Parse(ReadModelTable table, string text, string option, bool prefix)
    {
        var columns = table.Keys;
        var shape = string.Join(", ", columns.Select(c => $"{c.Name} {c.FormattedType}"));
        var example = string.Join("/", columns.Select(c => IsInteger(c) ? "42" : "t1"));
        var parts = text.Split('/');
        if (parts.Length > columns.Count || (!prefix && parts.Length != columns.Count) || parts.Any(p => p.Length == 0))
        {
            throw new CommandUsageException(
                $"Bad key '{text}' for {option}: {table.ProjectionName} has key column(s) {shape}, so type {(prefix ? "up to " : string.Empty)}{columns.Count} value(s) separated by '/', for example {option} {example}.",
                table.ProjectionName);
        }

        var values = new object[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            values[i] = Convert(columns[i], parts[i])
                ?? throw new CommandUsageException(
                    $"Bad key '{text}' for {option}: '{parts[i]}' is not a valid {columns[i].FormattedType} for key column {columns[i].Name} of {table.ProjectionName} (key column(s) {shape}); for example {option} {example}.",
                    table.ProjectionName);
        }

        return new RowKey(values);
    }

    private static bool IsInteger(PgColumn column) => column.TypeName is "int2" or "int4" or "int8";

    private static object? Convert(PgColumn column, string text) => column.TypeName switch
    {
        "int2" => short.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null,
        "int4" => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null,
        "int8" => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null,
        "uuid" => Guid.TryParse(text, out var g) ? g : null,
        "numeric" => decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : null,
        _ => text,
    };
}
