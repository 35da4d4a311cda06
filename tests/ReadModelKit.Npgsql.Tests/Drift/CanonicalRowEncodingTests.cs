using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class CanonicalRowEncodingTests
{
    private static readonly Gen<string?> Value = Gen.OneOf(
        Gen.Elements<string?>(null, "", "NULL", "~", "x0", "y", "x", "0y", "1:x", ":", "1:", "ä", "🙂"),
        Gen.Elements('x', '0', ':', '~', '1', 'ä').ArrayOf().Select(c => (string?)new string(c)));

    [Fact]
    public void The_framing_is_injective_so_values_never_shift_between_columns()
    {
        var lists = Gen.ListOf(Value).Select(l => l.ToArray());
        Prop.ForAll(lists.ToArbitrary(), lists.ToArbitrary(), (a, b) =>
        {
            var same = a.SequenceEqual(b);
            Assert.Equal(same, CanonicalRowEncoding.Frame(a) == CanonicalRowEncoding.Frame(b));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Known_collisions_of_plain_concatenation_stay_apart()
    {
        Assert.NotEqual(CanonicalRowEncoding.Frame(["x0", "y"]), CanonicalRowEncoding.Frame(["x", "0y"]));
        Assert.Equal("2:x01:y", CanonicalRowEncoding.Frame(["x0", "y"]));
        Assert.Equal("~0:4:NULL1:~", CanonicalRowEncoding.Frame([null, "", "NULL", "~"]));
        Assert.Equal("4:🙂", CanonicalRowEncoding.Frame(["🙂"]));
    }

    [Theory]
    [InlineData("numeric", "trim_scale(v)::text")]
    [InlineData("float8", "CASE WHEN (v) = 0 THEN '0' ELSE (v)::text END")]
    [InlineData("json", "(v)::jsonb::text")]
    [InlineData("citext", "lower((v)::text)")]
    [InlineData("interval", "justify_interval(v)::text")]
    [InlineData("timestamptz", "(v)::text")]
    public void Text_normalizes_values_that_are_equal_but_print_differently(string type, string sql) =>
        Assert.Equal(sql, CanonicalRowEncoding.TextValue(DriftColumnType.Base(type), "v"));

    [Fact]
    public void Binary_hashing_keeps_hashable_types_and_turns_the_rest_into_text_or_jsonb()
    {
        Assert.Equal("v", CanonicalRowEncoding.BinaryValue(DriftColumnType.Base("timestamptz"), "v"));
        Assert.Equal("v", CanonicalRowEncoding.BinaryValue(DriftColumnType.Base("numeric"), "v"));
        Assert.Equal("(v)::jsonb", CanonicalRowEncoding.BinaryValue(DriftColumnType.Base("json"), "v"));
        Assert.Equal("(v)::text", CanonicalRowEncoding.BinaryValue(new DriftColumnType("mood", 'e', 'E'), "v"));
        Assert.Equal("(v)::text", CanonicalRowEncoding.BinaryValue(new DriftColumnType("_mood", 'b', 'A', "mood", 'e'), "v"));
        Assert.Equal("v", CanonicalRowEncoding.BinaryValue(new DriftColumnType("_int4", 'b', 'A', "int4", 'b'), "v"));
        Assert.Equal("(v)::text", CanonicalRowEncoding.BinaryValue(DriftColumnType.Base("money"), "v"));
        Assert.Equal("(v)::jsonb", CanonicalRowEncoding.Comparable(DriftColumnType.Base("json"), "v"));
        Assert.Equal("(v)::text", CanonicalRowEncoding.Comparable(DriftColumnType.Base("point"), "v"));
    }

    [Fact]
    public void Row_hashes_use_a_nonzero_seed_a_seed_and_null_marker_per_position_and_a_final_mix()
    {
        var sql = CanonicalRowEncoding.RowHash(DriftRowHash.Binary, [(DriftColumnType.Base("int8"), "a"), (DriftColumnType.Base("date"), "b")]);
        var (s0, n0, s1) = (CanonicalRowEncoding.PositionConstant(0, 0), CanonicalRowEncoding.PositionConstant(0, 1), CanonicalRowEncoding.PositionConstant(1, 0));
        var n1 = CanonicalRowEncoding.PositionConstant(1, 1);
        var xor = $"coalesce(hashint8extended(a, {s0} # ((a) >> 32)), {n0}) # " +
            $"CASE WHEN (b) IS NULL THEN {n1} ELSE hashint8extended(hash_record_extended(ROW(b), {s1}), {s1}) END";
        Assert.Equal(xor, CanonicalRowEncoding.RowXor(DriftRowHash.Binary, [(DriftColumnType.Base("int8"), "a"), (DriftColumnType.Base("date"), "b")]));
        Assert.Equal($"(hashint8extended(({xor}), {CanonicalRowEncoding.Seed}) # (({xor}) >> 32))", sql);
        Assert.NotEqual(0, CanonicalRowEncoding.Seed);
        Assert.NotEqual(1, CanonicalRowEncoding.Seed);
        Assert.Throws<ArgumentOutOfRangeException>(() => CanonicalRowEncoding.RowHash(DriftRowHash.Auto, []));
    }

    [Fact]
    public void Position_constants_are_distinct_and_never_cancel_pairwise()
    {
        var constants = Enumerable.Range(0, 64).SelectMany(p => new[] { CanonicalRowEncoding.PositionConstant(p, 0), CanonicalRowEncoding.PositionConstant(p, 1) }).ToList();
        Assert.Equal(constants.Count, constants.Distinct().Count());
        Assert.DoesNotContain(0L, constants);

        // A zero-like value hashes to its seed (or seed - 1) in several types: (0.0, NULL) must not equal (NULL, 0.0).
        for (var p = 0; p < 16; p++)
        {
            for (var q = p + 1; q < 16; q++)
            {
                var (sp, np, sq, nq) = (CanonicalRowEncoding.PositionConstant(p, 0), CanonicalRowEncoding.PositionConstant(p, 1), CanonicalRowEncoding.PositionConstant(q, 0), CanonicalRowEncoding.PositionConstant(q, 1));
                Assert.NotEqual(sp ^ nq, np ^ sq);
                Assert.NotEqual((sp - 1) ^ nq, np ^ (sq - 1));
            }
        }
    }

    [Theory]
    [InlineData("text", "hashtextextended(v, ")]
    [InlineData("varchar", "hashtextextended(v, ")]
    [InlineData("numeric", "hash_numeric_extended(v, ")]
    [InlineData("timestamptz", "timestamp_hash_extended((v) AT TIME ZONE 'UTC', ")]
    [InlineData("json", "hashtextextended((v)::jsonb::text, ")]
    [InlineData("jsonb", "hashtextextended((v)::text, ")]
    [InlineData("int8", "hashint8extended(v, ")]
    [InlineData("bool", "hashint4extended((v)::int4, ")]
    [InlineData("money", "hash_record_extended(ROW((v)::text), ")]
    public void Each_field_is_hashed_by_its_types_own_function(string type, string prefix) =>
        Assert.Contains(prefix, CanonicalRowEncoding.FieldHash(DriftColumnType.Base(type), "v", 3), StringComparison.Ordinal);
}
