using System.Text;
using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>Approximates the bytes a value took on the wire (binary format: 4-byte length plus the value), for the report's transfer count.</summary>
internal static class WireSize
{
    /// <summary>Bytes of one row header (message type, length, field count).</summary>
    public const int Row = 7;

    // The types Npgsql reads character by character (GetChars); other types read as strings (enums, say) need GetString.
    private static readonly HashSet<string> CharTypes = new(StringComparer.Ordinal) { "text", "character varying", "character", "name", "citext" };

    /// <summary>The approximate wire size of one field.</summary>
    public static int Of(object? value) => 4 + value switch
    {
        null or DBNull => 0,
        string s => Encoding.UTF8.GetByteCount(s),
        bool or byte or sbyte => 1,
        short or ushort => 2,
        int or uint or float => 4,
        decimal => 16,
        Guid => 16,
        Array a => 20 + (a.Length * 8),
        _ => 8,
    };

    /// <summary>The approximate wire size of the reader's current row.</summary>
    public static long OfRow(NpgsqlDataReader reader)
    {
        long size = Row;
        for (var i = 0; i < reader.FieldCount; i++)
        {
            size += reader.IsDBNull(i) ? 4 : reader.GetFieldType(i) switch
            {
                // Text types: the length in characters, without building a string (counts a multi-byte character once).
                var t when t == typeof(string) && CharTypes.Contains(reader.GetDataTypeName(i)) => 4 + reader.GetChars(i, 0, null, 0, 0),
                var t when t == typeof(string) => 4 + Encoding.UTF8.GetByteCount(reader.GetString(i)),
                var t when t == typeof(long) || t == typeof(double) || t == typeof(DateTime) => 12,
                var t when t == typeof(int) || t == typeof(float) => 8,
                _ => Of(reader.GetValue(i)),
            };
        }

        return size;
    }
}
