using Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>The SQL renderings of the canonical encoding agree with the C# reference and with PostgreSQL's own equality.</summary>
public sealed class CanonicalEncodingSqlTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly Gen<string?> Value = Gen.OneOf(
        Gen.Elements<string?>(null, "", "NULL", "~", "x0", "y", "0y", "1:x", "ä", "🙂", "a'b"),
        Gen.Elements('x', '0', ':', '~', 'ä', '\'').ArrayOf().Select(c => (string?)new string(c)));

    [Fact]
    public async Task The_sql_framing_equals_the_reference_framing()
    {
        var connection = await db.DataSource.OpenConnectionAsync();
        await using var _ = connection;
        Prop.ForAll(Gen.ListOf(Value).Where(l => l.Count > 0).Select(l => l.ToArray()).ToArbitrary(), values =>
        {
            using var command = new NpgsqlCommand($"SELECT {CanonicalRowEncoding.FrameSql(values.Select((_, i) => $"${i + 1}::text"))}", connection);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            }

            Assert.Equal(CanonicalRowEncoding.Frame(values), (string)command.ExecuteScalar()!);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    /// <summary>Pairs of literals of one type; whether they are equal is PostgreSQL's call, the test only checks the hashes agree with it.</summary>
    public static TheoryData<string, string, string> Pairs => new()
    {
        { "numeric", "1.0", "1.00" },
        { "numeric", "1.0", "1.01" },
        { "numeric", "0", "-0.000" },
        { "float8", "0", "-0" },
        { "float8", "NaN", "NaN" },
        { "float8", "0.1", "0.10000000000000001" },
        { "float8", "0.1", "0.1000000000000001" },
        { "timestamptz", "2026-01-01 10:00:00+00", "2026-01-01 12:00:00+02" },
        { "timestamptz", "2026-01-01 10:00:00+00", "2026-01-01 10:00:00+01" },
        { "timestamptz", "2026-01-01 10:00:00+00", "2026-01-01 10:00:00.000001+00" },
        { "jsonb", """{"a":1,"b":[1,2]}""", """{ "b": [1, 2], "a": 1 }""" },
        { "jsonb", "null", "\"null\"" },
        { "json", """{"a":1}""", """{"a": 1}""" },
        { "interval", "1 day", "24 hours" },
        { "interval", "1 mon", "30 days" },
        { "interval", "1 mon", "31 days" },
        { "bpchar", "a  ", "a" },
        { "text", "a ", "a" },
        { "text", "", "NULL" },
        { "int8", "0", "-0" },
        { "numeric", "5", "-5" },
        { "numeric", "-0.0", "0" },
        { "uuid", "c0a8d3c2-6b0e-4bd4-9f3b-94c3f2a1d9e1", "C0A8D3C2-6B0E-4BD4-9F3B-94C3F2A1D9E1" },
        { "bytea", "\\x00", "\\x0000" },
        { "bool", "true", "t" },
        { "bool", "true", "false" },
        { "date", "2026-01-01", "2026-01-02" },
        { "timestamp", "2026-01-01 10:00:00", "2026-01-01 10:00:00.000" },
        { "varchar", "a", "a " },
        { "int4[]", "{1,2}", "{1, 2}" },
        { "int4[]", "{1,2}", "{2,1}" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Both_row_hashes_are_equal_exactly_when_postgresql_says_the_values_are_equal(string type, string a, string b)
    {
        var connection = await db.DataSource.OpenConnectionAsync();
        await using var _ = connection;
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand(CanonicalRowEncoding.SessionSettings + "; SET LOCAL TimeZone = 'America/New_York'", connection, transaction))
        {
            // The session time zone differs from UTC on purpose: encodings must not depend on it.
            await settings.ExecuteNonQueryAsync();
        }

        var columnType = DriftColumnType.Base(type);
        string Hash(DriftRowHash mode, int p) => CanonicalRowEncoding.RowHash(mode, [(columnType, $"CAST(${p} AS {type})"), (DriftColumnType.Base("int4"), "1")]);
        var comparable = (int p) => CanonicalRowEncoding.Comparable(columnType, $"CAST(${p} AS {type})");
        await using var command = new NpgsqlCommand(
            $"SELECT {comparable(1)} IS NOT DISTINCT FROM {comparable(2)}, {Hash(DriftRowHash.Binary, 1)} = {Hash(DriftRowHash.Binary, 2)}, {Hash(DriftRowHash.CanonicalText, 1)} = {Hash(DriftRowHash.CanonicalText, 2)}",
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = a });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = b });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var equal = reader.GetBoolean(0);
        Assert.Equal(equal, reader.GetBoolean(1));
        Assert.Equal(equal, reader.GetBoolean(2));
    }

    /// <summary>
    /// Pairs of two-column rows of one type that PostgreSQL says differ but whose field hashes could cancel under XOR, or that
    /// the type's own hash folds together (found by review: numeric weights, empty arrays, jsonb containers, int8 halves).
    /// </summary>
    public static TheoryData<string, string, string, string, string> RowPairs => new()
    {
        { "numeric", "1", "1", "10000", "10000" },
        { "numeric", "1", "10000", "10000", "1" },
        { "numeric", "12.5", "3.75", "125000", "37500" },
        { "numeric", "NaN", "0", "Infinity", "0" },
        { "numeric", "Infinity", "0", "-Infinity", "0" },
        { "numeric", "-Infinity", "0", "NaN", "0" },
        { "numeric", "0", "-Infinity", "0", "-1" },
        { "int4[]", "{}", "{}", null!, null! },
        { "int4[]", "{}", null!, null!, "{}" },
        { "int4[]", "{NULL}", "{1}", "{1}", "{NULL}" },
        { "jsonb", "[[]]", "[[[]]]", "[[[]]]", "[[]]" },
        { "jsonb", "{}", "1", "[]", "1" },
        { "jsonb", "1", "1", "[1]", "1" },
        { "jsonb", """{"a": 1}""", "1", """["a", 1]""", "1" },
        { "int8", "1", "0", "4294967296", "0" },
        { "int8", "1", "4294967296", "4294967296", "1" },
        { "int8", "-1", "0", "4294967295", "0" },
        { "numeric", "5", "0", "-5", "0" },
        { "numeric", "-1.5", "2", "1.5", "-2" },
        { "int8[]", "{1}", "{}", "{4294967296}", "{}" },
        { "numeric[]", "{NaN}", "{}", "{Infinity}", "{}" },
        { "numeric[]", "{5}", "{}", "{-5}", "{}" },
        { "int8range", "[1,2)", "empty", "[4294967296,4294967297)", "empty" },
        { "text", "x0", "y", "x", "0y" },
        { "text", "", "NULL", "NULL", "" },
    };

    [Theory]
    [MemberData(nameof(RowPairs))]
    public async Task Rows_that_differ_never_hash_alike_even_when_field_hashes_could_cancel(string type, string? a1, string? a2, string? b1, string? b2)
    {
        var columnType = type.EndsWith("[]", StringComparison.Ordinal) ? new DriftColumnType("_" + type[..^2], 'b', 'A', type[..^2], 'b') : DriftColumnType.Base(type);
        string Hash(DriftRowHash mode, int first) => CanonicalRowEncoding.RowHash(mode, [(columnType, $"CAST(${first} AS {type})"), (columnType, $"CAST(${first + 1} AS {type})")]);
        await using var command = db.DataSource.CreateCommand(
            $"SELECT ROW(CAST($1 AS {type}), CAST($2 AS {type})) IS DISTINCT FROM ROW(CAST($3 AS {type}), CAST($4 AS {type})), {Hash(DriftRowHash.Binary, 1)} <> {Hash(DriftRowHash.Binary, 3)}");
        foreach (var value in new[] { a1, a2, b1, b2 })
        {
            command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        }

        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.True(reader.GetBoolean(0), "the test pair must differ under PostgreSQL's own equality");
        Assert.True(reader.GetBoolean(1), $"({a1}, {a2}) and ({b1}, {b2}) as {type} hash alike");
    }

    [Fact]
    public async Task The_row_hash_keeps_64_bits_where_hashint8extended_alone_keeps_32()
    {
        // hashint8extended hashes the XOR of its input's halves: these two one-column rows collided under that mix alone (found in review).
        var text = DriftColumnType.Base("text");
        var field = (string v) => CanonicalRowEncoding.FieldHash(text, v, 0);
        var folded = (string v) => $"hashint8extended({field(v)}, {CanonicalRowEncoding.Seed})";
        var row = (string v) => CanonicalRowEncoding.RowHash(DriftRowHash.Binary, [(text, v)]);

        Assert.True(await db.ScalarAsync<bool>($"SELECT {folded("'user-131483'")} = {folded("'user-179649'")}"), "the 32-bit collision this test guards against no longer reproduces");
        Assert.False(await db.ScalarAsync<bool>($"SELECT {row("'user-131483'")} = {row("'user-179649'")}"));
    }

    [Fact]
    public async Task A_null_and_every_zero_like_value_hash_apart()
    {
        foreach (var (type, zero) in new[] { ("float8", "0"), ("numeric", "0"), ("int8", "0"), ("text", ""), ("jsonb", "null"), ("bool", "false") })
        {
            foreach (var mode in new[] { DriftRowHash.Binary, DriftRowHash.CanonicalText })
            {
                var hash = (string value) => CanonicalRowEncoding.RowHash(mode, [(DriftColumnType.Base(type), value)]);
                Assert.False(await db.ScalarAsync<bool>($"SELECT {hash($"NULL::{type}")} = {hash($"'{zero}'::{type}")}"), $"{mode}: NULL and {type} '{zero}' hash alike");
            }
        }
    }
}
