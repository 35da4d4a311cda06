using System.Text;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>Approximates the bytes a value took on the wire (binary format: 4-byte length plus the value), for the report's transfer count.</summary>
internal static class WireSize
{
    /// <summary>Bytes of one row header (message type, length, field count).</summary>
    public const int Row = 7;

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
}
