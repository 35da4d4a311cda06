using System.Globalization;
using System.Text;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>One generated row: key (k1 is ignored by the single-key shape) and six value literals (SQL, null = NULL).</summary>
public sealed record CaseRow(string K1, int K2, string?[] Values)
{
    public override string ToString() => $"({K1},{K2}: {string.Join(" | ", Values.Select(v => v ?? "NULL"))})";
}

/// <summary>A read-model row: a generated row, possibly tombstoned.</summary>
public sealed record ModelRow(CaseRow Row, bool Tombstoned)
{
    public override string ToString() => Row + (Tombstoned ? " †" : "");
}

/// <summary>A generated source table and read-model table of one shape.</summary>
public sealed record DriftCase(bool Composite, string Scenario, IReadOnlyList<CaseRow> Source, IReadOnlyList<ModelRow> ReadModel)
{
    public override string ToString() =>
        $"{Scenario} ({(Composite ? "composite key" : "single key")}){Environment.NewLine}source:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", Source)}{Environment.NewLine}read model:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", ReadModel)}";
}

/// <summary>
/// Generators and tables for drift properties. Two shapes: composite key (tenant_id text, case_id int4) and single key (id int8 in the
/// read model, int4 in the source, so keys are compared through a cast; title varchar(20), amount numeric(12,4)).
/// Value pools hold the values that break naive comparisons: NULL vs '' vs 'NULL'; ('x0','y') vs ('x','0y') in adjacent columns;
/// 1.0 vs 1.00; the same instant written in different time zones; -0 vs 0 and NaN; jsonb whitespace and JSON null.
/// </summary>
public static class DriftCases
{
    public static readonly string?[] Titles = [null, "''", "'NULL'", "'x0'", "'y'", "'x'", "'0y'", "'ä'", "'~'", "'1:x'", "'A'", "'a'"];
    public static readonly string?[] Amounts = [null, "1.0", "1.00", "1", "2.5", "0", "-0.0", "10.10"];
    public static readonly string?[] Instants =
    [
        null, "'2026-01-01 10:00:00+00'", "'2026-01-01 12:00:00+02'", "'2026-01-01 05:00:00-05'", "'2026-01-01 10:00:00+01'", "'2026-01-01 10:00:00.000001+00'",
    ];

    public static readonly string?[] Scores = [null, "0", "'-0'", "0.1", "1e300", "'NaN'"];
    public static readonly string?[] Docs = [null, "'{\"a\":1}'", "'{\"a\": 1}'", "'{\"b\":[1,2]}'", "'{}'", "'\"NULL\"'", "'null'"];
    public static readonly string[] Tenants = ["t1", "t2", "T1", "t10", "ä", "a b"];

    /// <summary>(title, note) pairs that collide when values are concatenated without lengths, or when NULL and '~' look alike.</summary>
    public static readonly ((string? Title, string? Note) Source, (string? Title, string? Note) Drifted)[] Collisions =
    [
        (("'x0'", "'y'"), ("'x'", "'0y'")),
        ((null, "'y'"), ("'~'", "'y'")),
        (("''", "'NULL'"), ("'NULL'", "''")),
        (("'1:x'", null), (null, "'1:x'")),
    ];

    /// <summary>Literals that differ as text but are equal values: a "respelled" row must not count as drift.</summary>
    public static readonly string[][] Equivalents =
    [
        ["1.0", "1.00", "1"], ["0", "-0.0"],
        ["'2026-01-01 10:00:00+00'", "'2026-01-01 12:00:00+02'", "'2026-01-01 05:00:00-05'"],
        ["'-0'"], ["'{\"a\":1}'", "'{\"a\": 1}'"],
    ];

    /// <summary>The row with every value that has an equivalent spelling replaced by the next one.</summary>
    public static string?[] Respell(string?[] values) => values.Select((v, i) =>
    {
        if (i == 4 && v is "0" or "'-0'")
        {
            return v == "0" ? "'-0'" : "0";
        }

        var group = Equivalents.FirstOrDefault(g => g.Contains(v));
        return group is null ? v : group[(Array.IndexOf(group, v) + 1) % group.Length];
    }).ToArray();

    public const string CompositeSource = "src_c";
    public const string SingleSource = "src_s";

    public static Gen<string?[]> Values =>
        from title in Gen.Elements(Titles)
        from note in Gen.Elements(Titles)
        from amount in Gen.Elements(Amounts)
        from at in Gen.Elements(Instants)
        from score in Gen.Elements(Scores)
        from doc in Gen.Elements(Docs)
        select new[] { title, note, amount, at, score, doc };

    public static Gen<CaseRow> Row =>
        from tenant in Gen.Elements(Tenants)
        from id in Gen.Choose(1, 60)
        from values in Values
        select new CaseRow(tenant, id, values);

    public static Gen<DriftCase> Case =>
        from composite in Gen.Elements(true, false)
        from scenario in Gen.Choose(0, 9)
        from source in Gen.ListOf(Row)
        from other in Gen.ListOf(Row)
        from rolls in Gen.ArrayOf(Gen.Choose(0, 99), source.Count)
        from changes in Gen.ArrayOf(Gen.Choose(0, 5).SelectMany(c => Values.Select(v => (Column: c, Value: v[c]))), source.Count)
        select Build(composite, scenario, source, other, rolls, changes);

    private static DriftCase Build(bool composite, int scenario, IReadOnlyList<CaseRow> source, IReadOnlyList<CaseRow> other, int[] rolls, (int Column, string? Value)[] changes)
    {
        string Key(CaseRow r) => composite ? r.K1 + "/" + r.K2 : r.K2.ToString(CultureInfo.InvariantCulture);
        var src = source.DistinctBy(Key).ToList();
        var independent = other.DistinctBy(Key).Select(r => new ModelRow(r, false)).ToList();
        switch (scenario)
        {
            case 6:
                return new DriftCase(composite, "both empty", [], []);
            case 7:
                return new DriftCase(composite, "source empty", [], independent);
            case 8:
                return new DriftCase(composite, "read model empty", src, []);
            case 9:
                return new DriftCase(composite, "totally different", src, independent);
        }

        var model = new List<ModelRow>();
        var keys = src.Select(Key).ToHashSet();
        for (var i = 0; i < src.Count; i++)
        {
            var row = src[i];
            var roll = rolls[i];
            if (roll < 50)
            {
                model.Add(new ModelRow(row, false));
            }
            else if (roll < 64)
            {
                model.Add(new ModelRow(row with { Values = Respell(row.Values) }, false));
            }
            else if (roll < 72)
            {
                var values = (string?[])row.Values.Clone();
                values[changes[i].Column] = changes[i].Value;
                model.Add(new ModelRow(row with { Values = values }, false));
            }
            else if (roll < 78)
            {
                // Adjacent text columns whose concatenation (or NULL marker) would collide without framing.
                var (original, drifted) = Collisions[roll % Collisions.Length];
                src[i] = row = row with { Values = [original.Title, original.Note, .. row.Values[2..]] };
                model.Add(new ModelRow(row with { Values = [drifted.Title, drifted.Note, .. row.Values[2..]] }, false));
            }
            else if (roll < 83)
            {
                // missing: absent from the read model
            }
            else if (roll < 90)
            {
                model.Add(new ModelRow(row with { Values = new string?[6] }, true));
            }
            else
            {
                model.Add(new ModelRow(row, false));
                var extra = other.FirstOrDefault(o => !keys.Contains(Key(o)));
                if (extra is not null)
                {
                    keys.Add(Key(extra));
                    model.Add(new ModelRow(extra, roll >= 97));
                }
            }
        }

        // Swap one column's values between two live rows: a plain sum of linearly combined field hashes cancels this out.
        for (var i = 0; i + 1 < src.Count; i++)
        {
            if (rolls[i] % 7 == 0)
            {
                var a = model.FindIndex(m => !m.Tombstoned && Key(m.Row) == Key(src[i]));
                var b = model.FindIndex(m => !m.Tombstoned && Key(m.Row) == Key(src[i + 1]));
                if (a >= 0 && b >= 0)
                {
                    var column = changes[i].Column;
                    var va = (string?[])model[a].Row.Values.Clone();
                    var vb = (string?[])model[b].Row.Values.Clone();
                    (va[column], vb[column]) = (vb[column], va[column]);
                    model[a] = model[a] with { Row = model[a].Row with { Values = va } };
                    model[b] = model[b] with { Row = model[b].Row with { Values = vb } };
                }
            }
        }

        return new DriftCase(composite, "drifted copy", src, model);
    }

    /// <summary>Creates the source tables (both databases) and read-model tables of both shapes, and a store mapping them.</summary>
    public static async Task<NpgsqlReadModelStore> CreateAsync(DriftFixture fx, string prefix)
    {
        await fx.ExecuteSourceAsync($"""
            CREATE TABLE {prefix}_{CompositeSource} (k1 text NOT NULL, k2 int4 NOT NULL, title text, note text, amount numeric, at timestamptz, score float8, doc jsonb, PRIMARY KEY (k1, k2));
            CREATE TABLE {prefix}_{SingleSource} (id int4 PRIMARY KEY, title text, note text, amount numeric, at timestamptz, score float8, doc jsonb);
            """);
        await fx.ExecuteAsync($"""
            CREATE TABLE {prefix}_rm_c (tenant_id text NOT NULL, case_id int4 NOT NULL, title text, note text, amount numeric, updated_at timestamptz, score float8, doc jsonb,
                version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id));
            CREATE TABLE {prefix}_rm_s (id int8 PRIMARY KEY, title varchar(20), note text, amount numeric(12,4), updated_at timestamptz, score float8, doc jsonb,
                version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz);
            """);
        return await fx.StoreAsync((prefix + "_c", CompositeMapping(fx, prefix)), (prefix + "_s", SingleMapping(fx, prefix)));
    }

    public static ReadModelTableMapping CompositeMapping(DriftFixture fx, string prefix) => new()
    {
        Table = prefix + "_rm_c",
        KeyColumns = ["tenant_id", "case_id"],
        ValueColumns = ["title", "note", "amount", "updated_at", "score", "doc"],
        RecomputeSql = $"SELECT k1 AS tenant_id, k2 AS case_id, title, note, amount, at AS updated_at, score, doc FROM {fx.SourceTable(prefix + "_" + CompositeSource)}",
    };

    public static ReadModelTableMapping SingleMapping(DriftFixture fx, string prefix) => new()
    {
        Table = prefix + "_rm_s",
        KeyColumns = ["id"],
        ValueColumns = ["title", "note", "amount", "updated_at", "score", "doc"],
        RecomputeSql = $"SELECT id, title, note, amount, at AS updated_at, score, doc FROM {fx.SourceTable(prefix + "_" + SingleSource)}",
    };

    public static string Projection(string prefix, DriftCase c) => prefix + (c.Composite ? "_c" : "_s");

    /// <summary>Replaces the contents of the case's shape with the case's rows (both source databases) and analyzes the tables.</summary>
    public static async Task LoadAsync(DriftFixture fx, string prefix, DriftCase c)
    {
        var src = c.Composite ? $"{prefix}_{CompositeSource}" : $"{prefix}_{SingleSource}";
        var rm = c.Composite ? $"{prefix}_rm_c" : $"{prefix}_rm_s";
        var sourceSql = new StringBuilder($"TRUNCATE {src};");
        if (c.Source.Count > 0)
        {
            sourceSql.Append($"INSERT INTO {src} VALUES ")
                .AppendJoin(", ", c.Source.Select(r => $"({KeyLiterals(c.Composite, r)}, {string.Join(", ", Typed(r.Values))})"))
                .Append(';');
        }

        sourceSql.Append($"ANALYZE {src};");
        await fx.ExecuteSourceAsync(sourceSql.ToString());
        var modelSql = new StringBuilder($"TRUNCATE {rm};");
        if (c.ReadModel.Count > 0)
        {
            var columns = c.Composite ? "tenant_id, case_id" : "id";
            modelSql.Append($"INSERT INTO {rm} ({columns}, title, note, amount, updated_at, score, doc, deleted_at) VALUES ")
                .AppendJoin(", ", c.ReadModel.Select(m => $"({KeyLiterals(c.Composite, m.Row)}, {string.Join(", ", Typed(m.Row.Values))}, {(m.Tombstoned ? "now()" : "NULL")})"))
                .Append(';');
        }

        modelSql.Append($"ANALYZE {rm};");
        await fx.ExecuteAsync(modelSql.ToString());
    }

    /// <summary>The naive oracle: one FULL OUTER JOIN of the recompute query (cast to the read-model types) with the live rows, IS DISTINCT FROM on every value.</summary>
    public static async Task<HashSet<(RowKey Key, DriftKind Kind)>> OracleAsync(DriftFixture fx, string prefix, bool composite, string where = "true")
    {
        var sql = composite
            ? $"""
                SELECT coalesce(e.tenant_id, a.tenant_id), coalesce(e.case_id, a.case_id),
                       CASE WHEN a.tenant_id IS NULL THEN 1 WHEN e.tenant_id IS NULL THEN 2 ELSE 3 END
                FROM (SELECT k1::text AS tenant_id, k2::int4 AS case_id, title::text AS title, note::text AS note, amount::numeric AS amount,
                             at::timestamptz AS updated_at, score::float8 AS score, doc::jsonb AS doc
                      FROM {fx.SourceTable(prefix + "_" + CompositeSource)}) e
                FULL OUTER JOIN (SELECT * FROM {prefix}_rm_c WHERE deleted_at IS NULL) a ON e.tenant_id = a.tenant_id AND e.case_id = a.case_id
                WHERE (e.tenant_id IS NULL OR a.tenant_id IS NULL
                   OR (e.title, e.note, e.amount, e.updated_at, e.score, e.doc) IS DISTINCT FROM (a.title, a.note, a.amount, a.updated_at, a.score, a.doc))
                  AND {where.Replace("{k1}", "coalesce(e.tenant_id, a.tenant_id)", StringComparison.Ordinal).Replace("{k2}", "coalesce(e.case_id, a.case_id)", StringComparison.Ordinal)}
                """
            : $"""
                SELECT coalesce(e.id, a.id), CASE WHEN a.id IS NULL THEN 1 WHEN e.id IS NULL THEN 2 ELSE 3 END
                FROM (SELECT id::int8 AS id, title::varchar(20) AS title, note::text AS note, amount::numeric(12,4) AS amount,
                             at::timestamptz AS updated_at, score::float8 AS score, doc::jsonb AS doc
                      FROM {fx.SourceTable(prefix + "_" + SingleSource)}) e
                FULL OUTER JOIN (SELECT * FROM {prefix}_rm_s WHERE deleted_at IS NULL) a ON e.id = a.id
                WHERE (e.id IS NULL OR a.id IS NULL
                   OR (e.title, e.note, e.amount, e.updated_at, e.score, e.doc) IS DISTINCT FROM (a.title, a.note, a.amount, a.updated_at, a.score, a.doc))
                  AND {where.Replace("{k2}", "coalesce(e.id, a.id)", StringComparison.Ordinal)}
                """;
        await using var command = fx.ReadModel.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new HashSet<(RowKey, DriftKind)>();
        while (await reader.ReadAsync())
        {
            result.Add(composite
                ? (new RowKey(reader.GetString(0), reader.GetInt32(1)), (DriftKind)reader.GetInt32(2))
                : (new RowKey(reader.GetInt64(0)), (DriftKind)reader.GetInt32(1)));
        }

        return result;
    }

    /// <summary>The (key, kind) set of a report that kept every difference as a sample.</summary>
    public static HashSet<(RowKey Key, DriftKind Kind)> Found(DriftReport report)
    {
        Assert.True(report.Samples.Count == report.Total, $"the report kept {report.Samples.Count} of {report.Total} differences: raise MaxSamples");
        return report.Samples.Select(s => (s.Key, s.Kind)).ToHashSet();
    }

    /// <summary>Options that keep every difference in the report and record nothing.</summary>
    public static DriftCheckOptions Options(Action<DriftCheckOptions>? configure = null)
    {
        var options = new DriftCheckOptions { RecordIncidents = false, MaxSamples = 100_000 };
        configure?.Invoke(options);
        return options;
    }

    public static string Describe(IEnumerable<(RowKey Key, DriftKind Kind)> set) =>
        string.Join(", ", set.OrderBy(s => s.Key.ToString(), StringComparer.Ordinal).Select(s => $"{s.Kind} {s.Key}"));

    private static string KeyLiterals(bool composite, CaseRow row) =>
        composite ? $"'{row.K1.Replace("'", "''", StringComparison.Ordinal)}', {row.K2}" : row.K2.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<string> Typed(string?[] values)
    {
        string[] types = ["text", "text", "numeric", "timestamptz", "float8", "jsonb"];
        return values.Select((v, i) => v is null ? "NULL" : $"{v}::{types[i]}");
    }

    /// <summary>Reads every row of a table as text, ordered, for "untouched" comparisons.</summary>
    public static async Task<List<string>> DumpAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }

        return rows;
    }
}
