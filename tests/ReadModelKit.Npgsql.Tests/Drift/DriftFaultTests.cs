using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>
/// Regression tests for faults an independent review found: a check that hung on a failing recompute query, arrays differing only in
/// dimensions or bounds, sampling that never looked below its first sampled key, jsonb numbers that check and repair judged differently,
/// writes smuggled through the recompute query, and recompute queries returning a key twice.
/// </summary>
public sealed class DriftFaultTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    /// <summary>Long enough for any check here on a loaded machine; a hang fails the test instead of the whole run.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private async Task<NpgsqlReadModelStore> SingleTableAsync(string name, string valueType, string recomputeSql, string? readModelRows = null)
    {
        await fx.ExecuteAsync($"CREATE TABLE {name}_rm (id int8 PRIMARY KEY, v {valueType}, version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        if (readModelRows is not null)
        {
            await fx.ExecuteAsync($"INSERT INTO {name}_rm (id, v) VALUES {readModelRows}; ANALYZE {name}_rm");
        }

        return await fx.StoreAsync((name, new ReadModelTableMapping { Table = name + "_rm", KeyColumns = ["id"], ValueColumns = ["v"], RecomputeSql = recomputeSql }));
    }

    private IEnumerable<(string Name, DriftReconciler Drift)> Strategies(NpgsqlReadModelStore store) =>
        [("same database", store.Drift), ("cross database, binary", new DriftReconciler(store, fx.Source)), ("cross database, text", new DriftReconciler(store, fx.Source))];

    private static DriftCheckOptions OptionsFor(string strategy, Action<DriftCheckOptions>? configure = null) => Options(o =>
    {
        o.CrossDatabase.RowHash = strategy.EndsWith("text", StringComparison.Ordinal) ? DriftRowHash.CanonicalText : DriftRowHash.Auto;
        configure?.Invoke(o);
    });

    [Theory]
    [InlineData("cast", "v::numeric", "22P02", "invalid input syntax for type numeric: \"abc\"")]
    [InlineData("div", "(100 / (id - 700))::numeric", "22012", "division by zero")]
    public async Task A_recompute_query_failing_at_run_time_fails_the_check_promptly_with_its_error(string name, string expression, string sqlState, string postgresMessage)
    {
        await fx.ExecuteSourceAsync($"CREATE TABLE fail_{name}_src (id int4 PRIMARY KEY, v text); INSERT INTO fail_{name}_src SELECT g, g::text FROM generate_series(1, 5000) g; UPDATE fail_{name}_src SET v = 'abc' WHERE id = 700");
        var store = await SingleTableAsync($"fail_{name}", "numeric", $"SELECT id, {expression} AS v FROM {fx.SourceTable($"fail_{name}_src")}");

        // A read model large enough that its side is still scanning when the recompute query fails.
        await fx.ExecuteAsync($"INSERT INTO fail_{name}_rm (id, v) SELECT g, g FROM generate_series(1, 300000) g; ANALYZE fail_{name}_rm");

        foreach (var (strategy, drift) in Strategies(store))
        {
            var error = await Assert.ThrowsAsync<RecomputeSqlException>(() => drift.CheckAsync($"fail_{name}", OptionsFor(strategy)).WaitAsync(Guard));

            var inner = Assert.IsType<PostgresException>(error.InnerException);
            Assert.Equal(sqlState, inner.SqlState);
            Assert.Equal(
                $"The RecomputeSql of projection 'fail_{name}' failed while the drift check ran it: {postgresMessage} (SQLSTATE {sqlState}). Fix the query or the source rows it cannot handle, then check again.",
                error.Message);
        }

        // The connections went back to the pool in a usable state.
        Assert.Equal(300_000L, await fx.ScalarAsync<long>($"SELECT count(*) FROM fail_{name}_rm"));
    }

    [Fact]
    public async Task A_check_stuck_in_a_slow_recompute_query_honours_its_token()
    {
        await fx.ExecuteSourceAsync("CREATE TABLE slow_src (id int4 PRIMARY KEY, v text); INSERT INTO slow_src VALUES (1, 'a')");
        var store = await SingleTableAsync("slow", "text", $"SELECT id, v FROM {fx.SourceTable("slow_src")} CROSS JOIN (SELECT pg_sleep(120)) AS s", "(1, 'a')");

        foreach (var (strategy, drift) in Strategies(store))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drift.CheckAsync("slow", OptionsFor(strategy), cancel.Token).WaitAsync(Guard));
        }
    }

    [Fact]
    public async Task Arrays_differing_only_in_dimensions_or_lower_bounds_are_reported_and_repaired()
    {
        string[] pairs = ["'{a,b}', '{{a,b}}'", "'{a,b}', '[0:1]={a,b}'", "'{x}', '[5:5]={x}'", "'{{a},{b}}', '{a,b}'", "'{{a,b},{c,d}}', '{{a,b,c,d}}'"];
        var source = string.Join(", ", pairs.Select((p, i) => $"({i + 1}, ({p.Split(", ")[0]})::text[])"));
        var model = string.Join(", ", pairs.Select((p, i) => $"({i + 1}, ({p.Split(", ")[1]})::text[])"));
        await fx.ExecuteSourceAsync($"CREATE TABLE arr_src (id int4 PRIMARY KEY, v text[]); INSERT INTO arr_src VALUES {source}, (9, '{{same}}')");
        var store = await SingleTableAsync("arr", "text[]", $"SELECT id, v FROM {fx.SourceTable("arr_src")}");
        var intSource = string.Join(", ", "'{1,2}', '{{1,2}}'|'{1,2}', '[0:1]={1,2}'|'{7}', '[5:5]={7}'".Split('|').Select((p, i) => $"({i + 1}, ({p.Split(", ")[0]})::int4[])"));
        var intModel = string.Join(", ", "'{1,2}', '{{1,2}}'|'{1,2}', '[0:1]={1,2}'|'{7}', '[5:5]={7}'".Split('|').Select((p, i) => $"({i + 1}, ({p.Split(", ")[1]})::int4[])"));
        await fx.ExecuteSourceAsync($"CREATE TABLE arri_src (id int4 PRIMARY KEY, v int4[]); INSERT INTO arri_src VALUES {intSource}");
        await fx.ExecuteAsync("CREATE TABLE arri_rm (id int8 PRIMARY KEY, v int4[], version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        var intStore = await fx.StoreAsync(("arri", new ReadModelTableMapping { Table = "arri_rm", KeyColumns = ["id"], ValueColumns = ["v"], RecomputeSql = $"SELECT id, v FROM {fx.SourceTable("arri_src")}" }));

        foreach (var (strategy, drift) in Strategies(store))
        {
            await fx.ExecuteAsync($"TRUNCATE arr_rm; INSERT INTO arr_rm (id, v) VALUES {model}, (9, '{{same}}'); ANALYZE arr_rm");
            var report = await drift.CheckAsync("arr", OptionsFor(strategy, o => o.RecordIncidents = true)).WaitAsync(Guard);
            Assert.True(
                Found(report).SetEquals(Enumerable.Range(1, pairs.Length).Select(i => (new RowKey((long)i), DriftKind.Changed))),
                $"{strategy}: {Describe(Found(report))}");

            await drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1 });
            Assert.True((await drift.CheckAsync("arr", OptionsFor(strategy))).Clean, strategy);
            Assert.Equal(0L, await fx.ScalarAsync<long>($"SELECT count(*) FROM arr_rm r JOIN \"{fx.SourceSchema}\".arr_src s ON s.id = r.id WHERE r.v::text <> s.v::text"));
        }

        foreach (var (strategy, drift) in Strategies(intStore))
        {
            await fx.ExecuteAsync($"TRUNCATE arri_rm; INSERT INTO arri_rm (id, v) VALUES {intModel}; ANALYZE arri_rm");
            var report = await drift.CheckAsync("arri", OptionsFor(strategy)).WaitAsync(Guard);
            Assert.Equal(3L, report.Changed);
        }
    }

    [Fact]
    public async Task Sampling_can_report_the_smallest_key_and_a_missing_key_below_it()
    {
        await fx.ExecuteSourceAsync("CREATE TABLE low_src (id int4 PRIMARY KEY, v text); INSERT INTO low_src SELECT g, 'v' || g FROM generate_series(0, 40) g");
        // Key 0 is missing from the read model, key 1 (its smallest key) is wrong; everything else agrees.
        var store = await SingleTableAsync("low", "text", $"SELECT id, v FROM {fx.SourceTable("low_src")}", "(1, 'wrong')");
        await fx.ExecuteAsync("INSERT INTO low_rm (id, v) SELECT g, 'v' || g FROM generate_series(2, 40) g; ANALYZE low_rm");

        foreach (var (strategy, drift) in Strategies(store))
        {
            // Every read-model key is a sample start here, so every key (and every gap) is in some sampled range.
            var report = await drift.CheckAsync("low", OptionsFor(strategy, o => { o.Mode = DriftCheckMode.Sample; o.SampleRanges = 100; o.SampleRangeRows = 3; })).WaitAsync(Guard);

            Assert.True(
                Found(report).SetEquals([(new RowKey(0L), DriftKind.Missing), (new RowKey(1L), DriftKind.Changed)]),
                $"{strategy}: {Describe(Found(report))}");
        }
    }

    [Fact]
    public async Task Jsonb_numbers_are_compared_by_value_so_check_and_repair_agree_across_databases()
    {
        await fx.ExecuteSourceAsync("""
            CREATE TABLE jn_src (id int4 PRIMARY KEY, v jsonb);
            INSERT INTO jn_src VALUES (1, '{"n": 1.0}'), (2, '{"n": [1.50, {"m": 10}]}'), (3, '{"n": 2}'), (4, '{"s": "1.0"}'), (5, '-0.0');
            """);
        var store = await SingleTableAsync("jn", "jsonb", $"SELECT id, v FROM {fx.SourceTable("jn_src")}");

        foreach (var (strategy, drift) in Strategies(store))
        {
            // 1, 2 and 5 are equal jsonb values (numbers compare by value); 3 and 4 really differ ("1.0" is a string).
            await fx.ExecuteAsync("""TRUNCATE jn_rm; INSERT INTO jn_rm (id, v) VALUES (1, '{"n": 1}'), (2, '{"n": [1.5, {"m": 10.000}]}'), (3, '{"n": 2.5}'), (4, '{"s": "1"}'), (5, '0'); ANALYZE jn_rm""");
            var report = await drift.CheckAsync("jn", OptionsFor(strategy, o => o.RecordIncidents = true)).WaitAsync(Guard);
            Assert.True(Found(report).SetEquals([(new RowKey(3L), DriftKind.Changed), (new RowKey(4L), DriftKind.Changed)]), $"{strategy}: {Describe(Found(report))}");

            var repair = await drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1 });
            var after = await drift.CheckAsync("jn", OptionsFor(strategy, o => o.RecordIncidents = true));

            Assert.Equal((2L, 2L), (repair.KeysRepaired, repair.RowsWritten));
            Assert.True(after.Clean, $"{strategy}: {Describe(Found(after))}");
            Assert.Empty(await drift.ListIncidentsAsync("jn"));
        }
    }

    [Fact]
    public async Task Every_source_access_is_read_only()
    {
        await fx.ExecuteSourceAsync("CREATE SEQUENCE ro_seq; CREATE TABLE ro_src (id int4 PRIMARY KEY, v text); INSERT INTO ro_src VALUES (1, 'a'), (2, 'b')");
        var store = await SingleTableAsync("ro", "text", $"SELECT id, v FROM {fx.SourceTable("ro_src")} WHERE nextval('{fx.SourceSchema}.ro_seq') > 0", "(1, 'x')");

        foreach (var (strategy, drift) in Strategies(store))
        {
            var check = await Assert.ThrowsAsync<RecomputeSqlException>(() => drift.CheckAsync("ro", OptionsFor(strategy)).WaitAsync(Guard));
            var repair = await Assert.ThrowsAsync<RecomputeSqlException>(() => drift.RepairKeysAsync("ro", [new RowKey(1L), new RowKey(2L)]).WaitAsync(Guard));

            Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, Assert.IsType<PostgresException>(check.InnerException).SqlState);
            Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, Assert.IsType<PostgresException>(repair.InnerException).SqlState);
        }

        Assert.Equal("x", await fx.ScalarAsync<string>("SELECT v FROM ro_rm WHERE id = 1"));
        foreach (var source in new[] { fx.ReadModel, fx.Source })
        {
            await using var command = source.CreateCommand($"SELECT is_called FROM \"{fx.SourceSchema}\".ro_seq");
            Assert.False((bool)(await command.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task A_statement_smuggled_after_a_semicolon_never_executes()
    {
        await fx.ExecuteSourceAsync("CREATE SEQUENCE smuggle_seq; CREATE TABLE smuggle_src (id int4 PRIMARY KEY, v text); INSERT INTO smuggle_src VALUES (1, 'a')");
        await fx.ExecuteAsync("CREATE TABLE smuggle_rm (id int8 PRIMARY KEY, v text, version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        var sql = $"SELECT id, v FROM {fx.SourceTable("smuggle_src")}; SELECT nextval('{fx.SourceSchema}.smuggle_seq') AS id, 'x' AS v";

        var error = await Assert.ThrowsAsync<RecomputeSqlException>(() => fx.StoreAsync(("smuggle", new ReadModelTableMapping { Table = "smuggle_rm", KeyColumns = ["id"], ValueColumns = ["v"], RecomputeSql = sql })));

        var position = sql.IndexOf(';', StringComparison.Ordinal) + 1;
        Assert.Equal(
            $"The RecomputeSql of projection 'smuggle' holds more than one statement (the ';' at character {position} is followed by more SQL): it must be one query. Remove everything after the first statement.",
            error.Message);
        foreach (var source in new[] { fx.ReadModel, fx.Source })
        {
            await using var command = source.CreateCommand($"SELECT is_called FROM \"{fx.SourceSchema}\".smuggle_seq");
            Assert.False((bool)(await command.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task A_recompute_query_returning_a_key_twice_is_named_by_check_and_repair()
    {
        // Key 2 comes back twice: once agreeing with the read model, once not; key 3 twice and absent from the read model.
        await fx.ExecuteSourceAsync("CREATE TABLE dup_src (id int4, v text); INSERT INTO dup_src VALUES (1, 'a'), (2, 'b'), (2, 'b'), (3, 'c'), (3, 'c')");
        var store = await SingleTableAsync("dup", "text", $"SELECT id, v FROM {fx.SourceTable("dup_src")}", "(1, 'a'), (2, 'b')");

        foreach (var (strategy, drift) in Strategies(store))
        {
            var check = await Assert.ThrowsAsync<RecomputeSqlException>(() => drift.CheckAsync("dup", OptionsFor(strategy)).WaitAsync(Guard));
            var repair = await Assert.ThrowsAsync<RecomputeSqlException>(() => drift.RepairKeysAsync("dup", [new RowKey(1L), new RowKey(3L)]).WaitAsync(Guard));

            Assert.Matches(@"^The RecomputeSql of projection 'dup' returns key \([23]\) more than once: it must return one row per key\. Group by the key columns \(or use DISTINCT ON\) so each key has exactly one expected row\.$", check.Message);
            Assert.Equal("The RecomputeSql of projection 'dup' returns key (3) more than once: it must return one row per key. Group by the key columns (or use DISTINCT ON) so each key has exactly one expected row.", repair.Message);
        }

        Assert.Equal(["1|a", "2|b"], await DumpAsync(fx.ReadModel, "SELECT id, v FROM dup_rm ORDER BY id"));
    }
}
