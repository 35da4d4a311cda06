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
    public void Row_hashes_use_a_nonzero_seed_and_mix_the_record_hash()
    {
        var sql = CanonicalRowEncoding.RowHash(DriftRowHash.Binary, [(DriftColumnType.Base("int8"), "a"), (DriftColumnType.Base("float8"), "b")]);
        Assert.Equal($"hashint8extended(hash_record_extended(ROW(a, b), {CanonicalRowEncoding.Seed}), {CanonicalRowEncoding.Seed})", sql);
        Assert.NotEqual(0, CanonicalRowEncoding.Seed);
        Assert.NotEqual(1, CanonicalRowEncoding.Seed);
        Assert.Throws<ArgumentOutOfRangeException>(() => CanonicalRowEncoding.RowHash(DriftRowHash.Auto, []));
    }
}
