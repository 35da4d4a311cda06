using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace ReadModelKit.Npgsql.Mapping;

/// <summary>
/// Collects one column's values for a batch and sends them as one typed array parameter, so a whole batch
/// travels in a single statement (<c>unnest($1::int8[], $2::text[], …)</c>).
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>The SQL cast applied to the array parameter (for example <c>int8[]</c>).</summary>
    public abstract string ArrayCast { get; }

    /// <summary>The SQL expression turning the unnested element into the column type, given the element expression.</summary>
    public virtual string Element(string expression) => expression;

    /// <summary>Adds one value; throws <see cref="FormatException"/> or <see cref="InvalidCastException"/> when it does not fit the column.</summary>
    public abstract void Add(object? value);

    /// <summary>Checks a value fits without adding it.</summary>
    public abstract void Check(object? value);

    /// <summary>Removes every value.</summary>
    public abstract void Clear();

    /// <summary>The values as one parameter.</summary>
    public abstract NpgsqlParameter ToParameter();

    /// <summary>A buffer for a column of the given catalog type.</summary>
    public static ColumnBuffer For(PgColumn column) => column.TypeName switch
    {
        "int2" => new Typed<short?>("int2[]", v => Convert.ToInt16(v, CultureInfo.InvariantCulture)),
        "int4" => new Typed<int?>("int4[]", v => Convert.ToInt32(v, CultureInfo.InvariantCulture)),
        "int8" => new Typed<long?>("int8[]", v => Convert.ToInt64(v, CultureInfo.InvariantCulture)),
        "numeric" => new Typed<decimal?>("numeric[]", v => Convert.ToDecimal(v, CultureInfo.InvariantCulture)),
        "float4" => new Typed<float?>("float4[]", v => Convert.ToSingle(v, CultureInfo.InvariantCulture)),
        "float8" => new Typed<double?>("float8[]", v => Convert.ToDouble(v, CultureInfo.InvariantCulture)),
        "bool" => new Typed<bool?>("bool[]", v => (bool)v),
        "uuid" => new Typed<Guid?>("uuid[]", v => v is string s ? Guid.Parse(s) : (Guid)v),
        "text" or "varchar" or "bpchar" or "name" or "citext" => new Typed<string?>("text[]", v => (string)v, column.TypeName == "text" ? null : column.FormattedType),
        "timestamptz" => new Typed<DateTime?>("timestamptz[]", v => ToUtc(v)),
        "timestamp" => new Typed<DateTime?>("timestamp[]", v => v is DateTimeOffset o ? o.DateTime : DateTime.SpecifyKind((DateTime)v, DateTimeKind.Unspecified)),
        "date" => new Typed<DateOnly?>("date[]", v => v is DateTime d ? DateOnly.FromDateTime(d) : (DateOnly)v),
        "jsonb" or "json" => new Typed<string?>(column.TypeName + "[]", ToJson, dbType: NpgsqlDbType.Array | (column.TypeName == "jsonb" ? NpgsqlDbType.Jsonb : NpgsqlDbType.Json)),
        _ => new Typed<string?>("text[]", v => Convert.ToString(v, CultureInfo.InvariantCulture)!, column.FormattedType),
    };

    private static DateTime ToUtc(object value) => value switch
    {
        DateTimeOffset offset => offset.UtcDateTime,
        DateTime { Kind: DateTimeKind.Utc } utc => utc,
        DateTime other => throw new InvalidCastException($"DateTime {other:O} has Kind {other.Kind}; timestamptz columns take UTC DateTime or DateTimeOffset values."),
        _ => throw new InvalidCastException($"{value.GetType().Name} cannot be written to a timestamptz column."),
    };

    private static string ToJson(object value) => value switch
    {
        string s => s,
        JsonElement element => element.GetRawText(),
        JsonDocument document => document.RootElement.GetRawText(),
        _ => JsonSerializer.Serialize(value, value.GetType(), JsonSerializerOptions.Default),
    };

    private sealed class Typed<T>(string arrayCast, Func<object, T> convert, string? castTo = null, NpgsqlDbType? dbType = null) : ColumnBuffer
    {
        private readonly List<T?> _values = [];

        public override string ArrayCast => arrayCast;

        public override string Element(string expression) => castTo is null ? expression : $"{expression}::{castTo}";

        public override void Add(object? value) => _values.Add(value is null or DBNull ? default : convert(value));

        public override void Check(object? value)
        {
            if (value is not null and not DBNull)
            {
                _ = convert(value);
            }
        }

        public override void Clear() => _values.Clear();

        public override NpgsqlParameter ToParameter()
        {
            var parameter = new NpgsqlParameter<T?[]> { TypedValue = [.. _values] };
            if (dbType is { } type)
            {
                parameter.NpgsqlDbType = type;
            }

            return parameter;
        }
    }
}
