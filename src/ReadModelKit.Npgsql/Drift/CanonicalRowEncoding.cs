using System.Text;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The rules that make two servers agree on whether two rows are equal, rendered as SQL. Every value is first cast to the
/// read-model column's type on both sides, then:
/// <list type="bullet">
/// <item><b>Comparison</b> (same database): PostgreSQL's own NULL-safe <c>IS DISTINCT FROM</c>; types without equality (<c>json</c>, geometric, <c>xml</c>) go through <c>jsonb</c> or text.</item>
/// <item><b>Binary row hash</b>: each value hashed by its type's own extended hash function (which agrees with its equality: 1.0 = 1.00,
/// -0 = 0, a <c>timestamptz</c> is its UTC instant) with a seed of its own per column position, NULL as a marker of its own per
/// position (some fields mixed once more, see <see cref="FieldHash"/>), the field hashes XORed and the result mixed once more
/// (<see cref="MixRowXor"/>). Position matters, so values cannot shift between columns.
/// Enums and composites (whose hashes depend on catalog OIDs) are hashed as text, <c>jsonb</c> by its canonical text, other types
/// without a typed call through <c>hash_record_extended</c>.</item>
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
    /// The seed of the final mix and the base of the per-position seeds. Not 0: several type hashes return the seed itself for special
    /// values (a float 0), so with seed 0 a NULL and a 0.0 hashed alike in an earlier encoding. (Found by the oracle property.)
    /// </summary>
    public const long Seed = 0x2545F4914F6CDD1D;

    // The binary row hash is mixed once more (hashint8extended) because the field hashes are combined linearly (XOR): summed over a
    // block, two rows that swapped a value in one column would otherwise cancel out exactly. (Found by the oracle property.)
    // Field hashes are typed calls (hashtextextended, hash_numeric_extended, …) rather than one hash_record_extended(ROW(…)):
    // alone, building and taking apart a record per row costs about three times as much (0.34 s against 0.12 s per 1M rows).

    /// <summary>The NULL marker of the canonical text framing.</summary>
    public const char NullMarker = '~';

    private static readonly HashSet<string> Hashable = new(StringComparer.Ordinal)
    {
        "int2", "int4", "int8", "numeric", "float4", "float8", "bool", "text", "varchar", "bpchar", "name", "char",
        "uuid", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "jsonb", "bytea", "inet", "cidr",
        "macaddr", "macaddr8", "oid", "citext", "pg_lsn",
    };

    private static readonly HashSet<string> FoldingElements = new(StringComparer.Ordinal) { "int8", "numeric", "timestamp", "timestamptz", "time", "timetz", "interval", "money" };

    private static readonly HashSet<string> FoldingRanges = new(StringComparer.Ordinal)
    {
        "int8range", "numrange", "tsrange", "tstzrange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange",
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

    /// <summary>
    /// The 64-bit row hash over <paramref name="columns"/> (keys then values), as an <c>int8</c> expression. With Binary the fields'
    /// XOR appears twice (see <see cref="MixRowXor"/>); scans over many rows compute <see cref="RowXor"/> once in a subquery instead.
    /// </summary>
    public static string RowHash(DriftRowHash mode, IEnumerable<(DriftColumnType Type, string Expression)> columns) =>
        MixRowXor(mode, $"({RowXor(mode, columns)})");

    /// <summary>
    /// The unmixed row value: with Binary the XOR of the field hashes, with CanonicalText the finished hash (already 64-bit and mixed).
    /// Turn it into the row hash with <see cref="MixRowXor"/>.
    /// </summary>
    public static string RowXor(DriftRowHash mode, IEnumerable<(DriftColumnType Type, string Expression)> columns) => mode switch
    {
        DriftRowHash.Binary => string.Join(" # ", columns.Select((c, position) => FieldHash(c.Type, c.Expression, position))),
        DriftRowHash.CanonicalText => $"hashtextextended({FrameSql(columns.Select(c => TextValue(c.Type, c.Expression)))}, {Seed})",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Resolve Auto to Binary or CanonicalText first."),
    };

    /// <summary>
    /// The row hash from a <see cref="RowXor"/> value (<paramref name="reference"/> is evaluated twice: pass a column). Binary mixes it
    /// non-linearly, so block sums cannot cancel, and keeps all 64 bits: <c>hashint8extended</c> alone hashes only the XOR of the two
    /// halves (32 bits), so the high half is XORed back in.
    /// </summary>
    public static string MixRowXor(DriftRowHash mode, string reference) => mode switch
    {
        DriftRowHash.Binary => $"(hashint8extended({reference}, {Seed}) # ({reference} >> 32))",
        DriftRowHash.CanonicalText => reference,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Resolve Auto to Binary or CanonicalText first."),
    };

    /// <summary>
    /// The aggregate of the row hashes of a group (chunk or block) as text: the sums of the high and the low 32 bits of
    /// <paramref name="rowHash"/> (a column: it appears twice), each as an <c>int4</c> sum. PostgreSQL sums <c>int8</c> values into a
    /// <c>numeric</c>, allocating per row; <c>int4</c> sums run in an <c>int8</c> accumulator, about twice as fast per group, and the two
    /// exact sums check a group as strongly as one 64-bit sum.
    /// </summary>
    public static string HashSum(string rowHash) =>
        $"sum(({rowHash} >> 32)::int4)::text || ':' || sum((({rowHash} & 4294967295) - 2147483648)::int4)::text";

    /// <summary>
    /// The hash that assigns a key to a chunk or block: only its spread matters, so Binary mixes the key fields once with
    /// <c>hashint8extended</c> (32 bits of entropy are plenty to cut a table into blocks).
    /// </summary>
    public static string BucketHash(DriftRowHash mode, IEnumerable<(DriftColumnType Type, string Expression)> keys) => mode switch
    {
        DriftRowHash.Binary => $"hashint8extended({RowXor(mode, keys)}, {Seed})",
        _ => RowXor(mode, keys),
    };

    /// <summary>
    /// One field of the binary row hash: the value's typed extended hash with the seed of <paramref name="position"/>, or that position's
    /// NULL marker. Type hashes that are not fully mixed with their seed (numeric XORs its weight in, int8 folds its halves,
    /// record and array hashes ignore the seed for some values) are mixed once more with the position's seed, so equal-looking
    /// field hashes in two columns cannot cancel under XOR. Types without a typed call here go through <c>hash_record_extended</c> of a
    /// one-field record, which finds the type's default hash function in the catalog.
    /// </summary>
    public static string FieldHash(DriftColumnType type, string expression, int position)
    {
        var seedValue = PositionConstant(position, 0);
        var seed = Invariant(seedValue);
        var nullMarker = Invariant(PositionConstant(position, 1));
        var hash = TypedHash(type, expression, seed, Invariant(~seedValue));
        if (hash is { } typed)
        {
            return $"coalesce({typed}, {nullMarker})";
        }

        var value = BinaryValue(type, expression);
        var record = $"hash_record_extended(ROW({value}), {seed})";
        if (type.Category == 'A' && value == expression)
        {
            // Array hashes see only the elements, while array equality also compares dimensions and lower bounds ('{a,b}', '{{a,b}}'
            // and '[0:1]={a,b}' hash alike): hash the dimensions too. (Arrays hashed as text carry them in the text.)
            record = $"{record} # hashtextextended(coalesce(array_dims({expression}), ''), {seed})";
        }

        return $"CASE WHEN ({expression}) IS NULL THEN {nullMarker} ELSE {Mix(record, seed)} END";
    }

    /// <summary>The typed hash of a value (NULL for NULL), or null when the type has no typed call here.</summary>
    private static string? TypedHash(DriftColumnType type, string v, string seed, string negativeSeed)
    {
        // Arrays and ranges hash their elements with the element type's own hash, which for these types folds or ignores the sign:
        // {1} = {4294967296}, {NaN} = {Infinity}. Their text (under the check's fixed session settings) keeps every value apart.
        var folding = type.TypeType is 'e' or 'c'
            || (type.Category == 'A' && type.ElementTypeName is { } element && FoldingElements.Contains(element))
            || FoldingRanges.Contains(type.TypeName);
        if (folding)
        {
            return $"hashtextextended(({v})::text, {seed})";
        }

        return type.TypeName switch
        {
            "int2" => $"hashint2extended({v}, {seed})",
            "int4" => $"hashint4extended({v}, {seed})",
            "oid" => $"hashoidextended({v}, {seed})",
            "bool" => $"hashint4extended(({v})::int4, {seed})",
            "float4" => $"hashfloat4extended({v}, {seed})",
            "float8" => $"hashfloat8extended({v}, {seed})",
            "text" or "varchar" => $"hashtextextended({v}, {seed})",
            "bpchar" => $"hashbpcharextended({v}, {seed})",
            "name" => $"hashnameextended({v}, {seed})",
            "uuid" => $"uuid_hash_extended({v}, {seed})",

            // hashint8extended hashes only the XOR of the two halves (1 and 2^32 hash alike): the high half goes into the seed, which
            // the hash mixes in fully, so one call sees all 64 bits.
            "int8" => $"hashint8extended({v}, {seed} # (({v}) >> 32))",

            // The numeric hash XORs the weight in linearly (1 # 10000 cancels in two columns), ignores the sign (5 and -5 hash alike) and
            // returns the seed itself for NaN and ±Infinity. Negative values get a seed of their own (so -Infinity hashes to that seed);
            // the non-negative values whose hash is the seed (+Infinity and NaN) are hashed as text. One numeric comparison per row:
            // each numeric call copies the value out of the row, and three comparisons cost as much as the hash itself.
            "numeric" => Mix($"CASE WHEN ({v}) < 0 THEN hash_numeric_extended({v}, {negativeSeed}) ELSE coalesce(nullif(hash_numeric_extended({v}, {seed}), {seed}), hashtextextended(({v})::text, {seed})) END", seed),
            "timestamp" => $"timestamp_hash_extended({v}, {seed})",
            "timestamptz" => $"timestamp_hash_extended(({v}) AT TIME ZONE 'UTC', {seed})",
            "interval" => $"interval_hash_extended({v}, {seed})",

            // jsonb's own hash ignores container kinds ('{}' = '[]', '1' = '[1]', {"a":1} = ["a",1]): hash its canonical text instead.
            "jsonb" => $"hashtextextended(({v})::text, {seed})",
            "json" => $"hashtextextended(({v})::jsonb::text, {seed})",
            _ => null,
        };
    }

    private static string Mix(string hash, string seed) => $"hashint8extended({hash}, {seed})";

    /// <summary>
    /// A well-mixed 64-bit constant per column position (<paramref name="stream"/> 0: the seed, 1: the NULL marker), so a field's hash
    /// depends on its position and no two positions' seeds or markers cancel each other under XOR.
    /// </summary>
    internal static long PositionConstant(int position, int stream)
    {
        var z = unchecked((ulong)Seed + (((ulong)position * 2) + (ulong)stream + 1) * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((long)(z ^ (z >> 31)));
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
