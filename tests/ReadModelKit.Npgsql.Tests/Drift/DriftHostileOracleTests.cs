using System.Text;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>
/// The drift oracle law on the inputs the first generators missed: arrays that differ only in dimensions or lower bounds, jsonb values
/// whose numbers are equal but spelled differently, recompute queries that fail on some source row, and recompute queries that return a
/// key twice. The oracle is a naive FULL JOIN … IS DISTINCT FROM over the same recompute query, or (for the faulty queries) the
/// database's own verdict on the query. Every strategy must agree with it, and after repair a check must be clean.
/// </summary>
public sealed class DriftHostileOracleTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    private static readonly string?[] Arrays = [null, "'{a,b}'", "'{{a,b}}'", "'[0:1]={a,b}'", "'[5:5]={x}'", "'{x}'", "'{}'", "'{NULL}'", "'{{a},{b}}'", "'{\"a b\",c}'"];
    private static readonly string?[] Docs = [null, "'{\"n\": 1}'", "'{\"n\": 1.0}'", "'{\"n\": 1.00}'", "'[1.50]'", "'[1.5]'", "'\"1.0\"'", "'null'", "'{\"n\": -0.0}'", "'{\"n\": 0}'", "'{\"n\": [10, 1e2]}'", "'{\"n\": [10.0, 100]}'"];

    /// <summary>One key's rows: source (absent when null), read model (absent when null) and whether the read-model row is tombstoned.</summary>
    public sealed record HostileRow(int Id, (string? Arr, string? Doc)? Source, (string? Arr, string? Doc)? Model, bool Tombstoned);

    /// <summary>A generated case: rows, plus at most one fault in the recompute query's result.</summary>
    public sealed record HostileCase(IReadOnlyList<HostileRow> Rows, string Fault)
    {
        public override string ToString() => $"fault: {Fault}{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", Rows.Select(r => $"{r.Id}: src {r.Source} rm {r.Model}{(r.Tombstoned ? " †" : "")}"));
    }

    /// <summary>
    /// Cases the property always runs: drift in array bounds and dimensions, jsonb numbers spelled differently (equal: not drift), a
    /// missing and an extra row; and the same rows with a failing recompute row and with a key returned twice.
    /// </summary>
    private static HostileCase[] Forced
    {
        get
        {
            HostileRow[] rows =
            [
                new(1, ("'{a,b}'", "'{\"n\": 1}'"), ("'{{a,b}}'", "'{\"n\": 1.0}'"), false),
                new(2, ("'[5:5]={x}'", "'[1.5]'"), ("'{x}'", "'[1.50]'"), false),
                new(3, ("'{x}'", null), null, false),
                new(4, null, ("'{}'", "'null'"), false),
                new(5, ("'{NULL}'", "'{\"n\": 0}'"), ("'{NULL}'", "'{\"n\": -0.0}'"), false),
            ];
            return [new(rows, "none"), new(rows, "failing row"), new(rows, "duplicate key")];
        }
    }

    private static Gen<(string?, string?)> Values =>
        from arr in Gen.Elements(Arrays)
        from doc in Gen.Elements(Docs)
        select (arr, doc);

    private static Gen<((string?, string?) Source, (string?, string?) Model, int Roll)> Row =>
        from source in Values
        from model in Values
        from roll in Gen.Choose(0, 9)
        select (source, model, roll);

    private static Gen<HostileCase> Cases =>
        from rows in Gen.ListOf(Row)
        from fault in Gen.Frequency((6, Gen.Constant("none")), (1, Gen.Constant("duplicate key")), (1, Gen.Constant("failing row")))
        select new HostileCase(
            rows.Select((r, i) => new HostileRow(
                i + 1,
                r.Roll == 0 ? null : r.Source,
                r.Roll == 1 ? null : r.Roll is 2 or 3 ? r.Source : r.Model,
                r.Roll == 4)).ToList(),
            fault);

    [Fact]
    public async Task Detection_equals_the_naive_join_on_arrays_jsonb_numbers_failing_queries_and_duplicate_keys()
    {
        await fx.ExecuteSourceAsync("CREATE TABLE host_src (id int4, arr text[], doc jsonb, bad text NOT NULL DEFAULT '1')");
        await fx.ExecuteAsync("CREATE TABLE host_rm (id int8 PRIMARY KEY, arr text[], doc jsonb, version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        var recompute = $"SELECT id, arr, doc FROM {fx.SourceTable("host_src")} WHERE bad::numeric > 0";
        var store = await fx.StoreAsync(("host", new ReadModelTableMapping { Table = "host_rm", KeyColumns = ["id"], ValueColumns = ["arr", "doc"], RecomputeSql = recompute }));
        var strategies = new (string Name, DriftReconciler Drift, DriftRowHash Hash)[]
        {
            ("same database", store.Drift, DriftRowHash.Auto),
            ("same database, one join of the differing chunks", store.Drift, DriftRowHash.Auto),
            ("cross database, binary", new DriftReconciler(store, fx.Source), DriftRowHash.Binary),
            ("cross database, canonical text", new DriftReconciler(store, fx.Source), DriftRowHash.CanonicalText),
        };
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var round = 0;

        // Every kind of case runs at least once whatever the generator draws: the faults are rare in it (1 in 8 each).
        foreach (var forced in Forced)
        {
            var outcome = await RunAsync(forced, round++);
            Assert.True(outcome == (forced.Fault == "none" ? "drift" : forced.Fault), $"the forced case gave '{outcome}': {forced}");
        }

        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var outcome = RunAsync(c, round++).GetAwaiter().GetResult();
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40).WithEndSize(40));
        Assert.True(outcomes.GetValueOrDefault("drift") >= 5, $"the generator is too tame: {string.Join(", ", outcomes)}");

        async Task<string> RunAsync(HostileCase c, int index)
        {
            await LoadAsync(c);
            var verdict = await OracleAsync(recompute);
            foreach (var (name, drift, hash) in strategies)
            {
                var options = Options(o =>
                {
                    o.CrossDatabase.RowHash = hash;
                    o.SameDatabase.ChunkSize = 1 + (index % 5);
                    o.CrossDatabase.BlockSize = 2 + (index % 7);
                    o.CrossDatabase.LeafThreshold = 1 + (index % 4);
                    o.SameDatabase.ChunkRowsLimit = name.EndsWith("join of the differing chunks", StringComparison.Ordinal) ? 0 : o.SameDatabase.ChunkRowsLimit;
                });
                switch (verdict)
                {
                    case Verdict.Fails failing:
                        var failure = await Assert.ThrowsAsync<RecomputeSqlException>(() => drift.CheckAsync("host", options).WaitAsync(TimeSpan.FromSeconds(60)));
                        Assert.Equal(failing.SqlState, Assert.IsType<PostgresException>(failure.InnerException).SqlState);
                        break;
                    case Verdict.Duplicates duplicates:
                        var duplicate = await Assert.ThrowsAsync<RecomputeSqlException>(() => drift.CheckAsync("host", options).WaitAsync(TimeSpan.FromSeconds(60)));
                        Assert.Contains(duplicates.Keys, k => duplicate.Message.Contains($"returns key ({k}) more than once", StringComparison.Ordinal));
                        break;
                    case Verdict.Differences differences:
                        var report = await drift.CheckAsync("host", options).WaitAsync(TimeSpan.FromSeconds(60));
                        Assert.True(Found(report).SetEquals(differences.Set), $"{name} found [{Describe(Found(report))}] but the oracle says [{Describe(differences.Set)}] for {c}");
                        break;
                }
            }

            if (verdict is not Verdict.Differences { Set.Count: > 0 })
            {
                return verdict is Verdict.Differences ? "clean" : c.Fault;
            }

            // The runbook: record, repair, check again — clean, in the strategy of this round.
            var (_, repairing, repairHash) = strategies[index % strategies.Length];
            await fx.ExecuteAsync($"DELETE FROM \"{fx.Schema}_rmk\".drift_incident WHERE projection_name = 'host'");
            var recorded = await repairing.CheckAsync("host", Options(o => { o.RecordIncidents = true; o.CrossDatabase.RowHash = repairHash; }));
            await repairing.RepairAsync(recorded, new DriftRepairOptions { MaxDriftShare = 1 });
            var after = await repairing.CheckAsync("host", Options(o => o.CrossDatabase.RowHash = repairHash));
            Assert.True(after.Clean, $"still drifted after repair: {Describe(Found(after))} for {c}");
            Assert.Empty(await OracleSetAsync(recompute));
            return "drift";
        }
    }

    private async Task LoadAsync(HostileCase c)
    {
        var source = new StringBuilder("TRUNCATE host_src;");
        var sourceRows = c.Rows.Where(r => r.Source is not null).Select(r => $"({r.Id}, {r.Source!.Value.Arr ?? "NULL"}, {r.Source.Value.Doc ?? "NULL"}, '1')").ToList();
        if (c.Fault == "duplicate key" && c.Rows.FirstOrDefault(r => r.Source is not null) is { } twice)
        {
            sourceRows.Add($"({twice.Id}, NULL, NULL, '1')");
        }

        if (c.Fault == "failing row")
        {
            sourceRows.Add("(1000, NULL, NULL, 'abc')");
        }

        if (sourceRows.Count > 0)
        {
            source.Append("INSERT INTO host_src VALUES ").AppendJoin(", ", sourceRows).Append(';');
        }

        await fx.ExecuteSourceAsync(source.Append("ANALYZE host_src;").ToString());
        var model = new StringBuilder("TRUNCATE host_rm;");
        var modelRows = c.Rows.Where(r => r.Model is not null)
            .Select(r => $"({r.Id}, {r.Model!.Value.Arr ?? "NULL"}::text[], {r.Model.Value.Doc ?? "NULL"}::jsonb, {(r.Tombstoned ? "now()" : "NULL")})").ToList();
        if (modelRows.Count > 0)
        {
            model.Append("INSERT INTO host_rm (id, arr, doc, deleted_at) VALUES ").AppendJoin(", ", modelRows).Append(';');
        }

        await fx.ExecuteAsync(model.Append("ANALYZE host_rm;").ToString());
    }

    private abstract record Verdict
    {
        public sealed record Fails(string SqlState) : Verdict;

        public sealed record Duplicates(IReadOnlyList<long> Keys) : Verdict;

        public sealed record Differences(HashSet<(RowKey Key, DriftKind Kind)> Set) : Verdict;
    }

    /// <summary>What the database says of the recompute query: it fails, it returns keys twice, or the naive join's differences.</summary>
    private async Task<Verdict> OracleAsync(string recompute)
    {
        try
        {
            var duplicates = new List<long>();
            await using (var command = fx.ReadModel.CreateCommand($"SELECT id::int8 FROM ({recompute}) q GROUP BY id HAVING count(*) > 1"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    duplicates.Add(reader.GetInt64(0));
                }
            }

            return duplicates.Count > 0 ? new Verdict.Duplicates(duplicates) : new Verdict.Differences(await OracleSetAsync(recompute));
        }
        catch (PostgresException exception)
        {
            return new Verdict.Fails(exception.SqlState);
        }
    }

    private async Task<HashSet<(RowKey, DriftKind)>> OracleSetAsync(string recompute)
    {
        var sql = $"""
            SELECT coalesce(e.id, a.id), CASE WHEN a.id IS NULL THEN 1 WHEN e.id IS NULL THEN 2 ELSE 3 END
            FROM (SELECT id::int8 AS id, arr::text[] AS arr, doc::jsonb AS doc FROM ({recompute}) q) e
            FULL JOIN (SELECT * FROM host_rm WHERE deleted_at IS NULL) a ON e.id = a.id
            WHERE e.id IS NULL OR a.id IS NULL OR (e.arr, e.doc) IS DISTINCT FROM (a.arr, a.doc)
            """;
        var set = new HashSet<(RowKey, DriftKind)>();
        await using var command = fx.ReadModel.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            set.Add((new RowKey(reader.GetInt64(0)), (DriftKind)reader.GetInt32(1)));
        }

        return set;
    }
}
