using System.Text;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The rules that make two servers agree on whether two rows are equal, rendered as SQL. Every value is first cast to the
/// read-model column's type on both sides, then:
/// <list type="bullet">
/// <item><b>Comparison</b> (same database): PostgreSQL's own NULL-safe <c>IS DISTINCT FROM</c>; types without equality (<c>json</c>, geometric, <c>xml</c>) go through <c>jsonb</c> or text.</item>
/// <item><b>Binary row hash</b>: each value hashed by its type's own extended hash function (which agrees with its equality: 1.0 = 1.00,
/// -0 = 0, a <c>timestamptz</c> is its UTC instant) with a seed of its own per column position, NULL as a marker of its own per
/// position, the field hashes XORed and the result mixed once more. Position matters, so values cannot shift between columns.
/// Enums and composites (whose hashes depend on catalog OIDs) and types without a hash are hashed as text.</item>
/// <item><b>Canonical text row hash</b>: each value normalized to text (numerics without trailing zeros, floats with -0 as 0, <c>timestamptz</c> in UTC
/// under fixed DateStyle, <c>json</c> as <c>jsonb</c>, <c>citext</c> lower-cased, intervals justified), framed as
/// <c>octet_length:value</c> with <c>~</c> for NULL (a prefix-free code, so <c>('x0','y')</c> and <c>('x','0y')</c> differ), then <c>hashtextextended</c>.</item>
/// </list>
/// </summary>
internal static class CanonicalRowEncoding
{
    /// <summary>Session settings that make text output deterministic; every cross-database check transaction runs them.</summary>
    public const string SessionSettings =
        "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'";

    /// <summary>
    /// The seed of every row hash. Not 0: several type hashes return the seed itself for special values (a float 0, a numeric NaN) and
    /// <c>hash_record_extended</c> counts a NULL field as 0, so with seed 0 a NULL and a 0.0 would hash alike. (Found by the oracle property.)
    /// </summary>
    public const long Seed = 0x2545F4914F6CDD1D;

    // The binary row hash is mixed once more (hashint8extended) because the field hashes are combined linearly (XOR): summed over a
    // block, two rows that swapped a value in one column would otherwise cancel out exactly. (Found by the oracle property.)
    // Field hashes are typed calls (hashtextextended, hash_numeric_extended, …) rather than one hash_record_extended(ROW(…)):
    // building and taking apart a record per row made hashing about twice as expensive as the scan itself.

    /// <summary>The NULL marker of the canonical text framing.</summary>
    public const char NullMarker = '~';

    private static readonly HashSet<string> Hashable = new(StringComparer.Ordinal)
    {
        "int2", "int4", "int8", "numeric", "float4", "float8", "bool", "text", "varchar", "bpchar", "name", "char",
        "uuid", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "jsonb", "bytea", "inet", "cidr",
        "macaddr", "macaddr8", "oid", "citext", "pg_lsn",
    };

    private static readonly HashSet<string> WithoutEquality = new(StringComparer.Ordinal)
    {
        "xml", "point", "line", "lseg", "box", "path", "polygon", "circle",
    };

    /// <summary>An expression PostgreSQL can compare with <c>IS DISTINCT FROM</c>.</summary>
    public static string Comparable(DriftColumnType type, string expression) => type.TypeName switch
    {
        "json" => $"({expression})::jsonb",
        _ when WithoutEquality.Contains(type.TypeName) => $"({expression})::text",
        _ => expression,
    };

    /// <summary>The value as it goes into the binary row hash.</summary>
    public static string BinaryValue(DriftColumnType type, string expression)
    {
        if (type.TypeName == "json")
        {
            return $"({expression})::jsonb";
        }

        if (type.TypeType is 'e' or 'c')
        {
            return $"({expression})::text";
        }

        if (type.Category == 'A')
        {
            var elementHashable = type.ElementTypeType is not ('e' or 'c') && type.ElementTypeName is { } element && Hashable.Contains(element);
            return elementHashable ? expression : $"({expression})::text";
        }

        return type.TypeType is 'r' or 'm' || Hashable.Contains(type.TypeName) ? expression : $"({expression})::text";
    }

    /// <summary>The value as canonical text (NULL stays NULL).</summary>
    public static string TextValue(DriftColumnType type, string expression) => type.TypeName switch
    {
        "numeric" => $"trim_scale({expression})::text",
        "float4" or "float8" => $"CASE WHEN ({expression}) = 0 THEN '0' ELSE ({expression})::text END",
        "json" => $"({expression})::jsonb::text",
        "citext" => $"lower(({expression})::text)",
        "interval" => $"justify_interval({expression})::text",
        _ => $"({expression})::text",
    };

    /// <summary>The SQL framing of canonical texts: <c>octet_length:value</c> per value, <c>~</c> for NULL, concatenated.</summary>
    public static string FrameSql(IEnumerable<string> textExpressions) =>
        string.Join(" || ", textExpressions.Select(t => $"coalesce(octet_length({t})::text || ':' || {t}, '{NullMarker}')"));

    /// <summary>The same framing in C#, the reference the SQL is tested against.</summary>
    public static string Frame(IEnumerable<string?> values)
    {
        var text = new StringBuilder();
        foreach (var value in values)
        {
            if (value is null)
            {
                text.Append(NullMarker);
            }
            else
            {
                text.Append(Encoding.UTF8.GetByteCount(value)).Append(':').Append(value);
            }
        }

        return text.ToString();
    }

    /// <summary>The 64-bit row hash over <paramref name="columns"/> (keys then values), as an <c>int8</c> expression.</summary>
    public static string RowHash(DriftRowHash mode, IEnumerable<(DriftColumnType Type, string Expression)> columns) => mode switch
    {
        DriftRowHash.Binary => $"hashint8extended({string.Join(" # ", columns.Select((c, position) => FieldHash(c.Type, c.Expression, position)))}, {Seed})",
        DriftRowHash.CanonicalText => $"hashtextextended({FrameSql(columns.Select(c => TextValue(c.Type, c.Expression)))}, {Seed})",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Resolve Auto to Binary or CanonicalText first."),
    };

    /// <summary>
    /// One field of the binary row hash: the value's typed extended hash with the seed of <paramref name="position"/>, or that position's
    /// NULL marker. Types without a typed call here go through <c>hash_record_extended</c> of a one-field record, which finds the type's
    /// default hash function in the catalog.
    /// </summary>
    public static string FieldHash(DriftColumnType type, string expression, int position)
    {
        var seed = Invariant(PositionConstant(position, 0));
        var typed = TypedHash(type, expression);
        return typed is { } call
            ? $"coalesce({call.Function}({call.Argument}, {seed}), {Invariant(PositionConstant(position, 1))})"
            : $"hash_record_extended(ROW({BinaryValue(type, expression)}), {seed})";
    }

    private static (string Function, string Argument)? TypedHash(DriftColumnType type, string expression)
    {
        if (type.TypeType is 'e' or 'c')
        {
            return ("hashtextextended", $"({expression})::text");
        }

        return type.TypeName switch
        {
            "int2" => ("hashint2extended", expression),
            "int4" => ("hashint4extended", expression),
            "int8" => ("hashint8extended", expression),
            "oid" => ("hashoidextended", expression),
            "bool" => ("hashint4extended", $"({expression})::int4"),
            "numeric" => ("hash_numeric_extended", expression),
            "float4" => ("hashfloat4extended", expression),
            "float8" => ("hashfloat8extended", expression),
            "text" or "varchar" => ("hashtextextended", expression),
            "bpchar" => ("hashbpcharextended", expression),
            "name" => ("hashnameextended", expression),
            "uuid" => ("uuid_hash_extended", expression),
            "timestamp" => ("timestamp_hash_extended", expression),
            "timestamptz" => ("timestamp_hash_extended", $"({expression}) AT TIME ZONE 'UTC'"),
            "interval" => ("interval_hash_extended", expression),
            "jsonb" => ("jsonb_hash_extended", expression),
            "json" => ("jsonb_hash_extended", $"({expression})::jsonb"),
            _ => null,
        };
    }

    /// <summary>
    /// A well-mixed 64-bit constant per column position (<paramref name="stream"/> 0: the seed, 1: the NULL marker), so a field's hash
    /// depends on its position and no two positions' seeds or markers cancel each other under XOR. Never <see cref="long.MinValue"/>,
    /// which SQL cannot write as an <c>int8</c> literal.
    /// </summary>
    internal static long PositionConstant(int position, int stream)
    {
        var z = unchecked((ulong)Seed + (((ulong)position * 2) + (ulong)stream + 1) * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        var value = unchecked((long)(z ^ (z >> 31)));
        return value == long.MinValue ? long.MaxValue : value;
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
