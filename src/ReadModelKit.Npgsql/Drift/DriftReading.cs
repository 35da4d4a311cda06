using System.Globalization;
using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>Small reading and formatting helpers both detectors, the incident store and the sampler share.</summary>
internal static class DriftReading
{
    /// <summary>Reads <paramref name="count"/> key values starting at <paramref name="offset"/>.</summary>
    public static object?[] Key(NpgsqlDataReader reader, int offset, int count)
    {
        var key = new object?[count];
        for (var i = 0; i < count; i++)
        {
            key[i] = reader.GetValue(offset + i);
        }

        return key;
    }

    /// <summary>The number as SQL text.</summary>
    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
