using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Sql;

/// <summary>
/// The SQL of columns sent as one typed array each (<see cref="ColumnBuffer"/>) and unnested together:
/// <c>unnest($14::int8[], $15::text[]) AS c(k0, k1)</c>, each element converted back to its column's type and name.
/// Shared by the apply statements (built once, bound by position) and the drift key lists (<see cref="KeyArrays"/>).
/// </summary>
internal static class ColumnArrays
{
    /// <summary>The unnest arguments of <paramref name="buffers"/>' arrays, numbered from <paramref name="next"/> (advanced past them).</summary>
    public static List<string> Arguments(IEnumerable<ColumnBuffer> buffers, ref int next)
    {
        var arguments = new List<string>();
        foreach (var buffer in buffers)
        {
            arguments.Add($"{SqlParameters.Placeholder(next++)}::{buffer.ArrayCast}");
        }

        return arguments;
    }

    /// <summary>The columns of an unnest relation <paramref name="alias"/> with elements <c>{prefix}0, {prefix}1, …</c>, typed and named as <paramref name="columns"/>.</summary>
    public static List<string> Elements(IReadOnlyList<PgColumn> columns, IReadOnlyList<ColumnBuffer> buffers, string alias, string prefix) =>
        columns.Select((c, i) => $"{buffers[i].Element($"{alias}.{prefix}{i}")} AS {ReadModelTable.Quote(c.Name)}").ToList();

    /// <summary>The element names <c>{prefix}0, {prefix}1, …</c> of <paramref name="count"/> columns.</summary>
    public static IEnumerable<string> Names(int count, string prefix) => Enumerable.Range(0, count).Select(i => prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
