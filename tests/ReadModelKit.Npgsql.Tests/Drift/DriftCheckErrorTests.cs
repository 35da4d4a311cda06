using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class DriftCheckErrorTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Fact]
    public async Task A_projection_without_a_recompute_query_cannot_be_checked()
    {
        await fx.ExecuteAsync("CREATE TABLE norecompute_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("norecompute", new ReadModelTableMapping { Table = "norecompute_rm", KeyColumns = ["id"], ValueColumns = ["title"] }));

        var error = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("norecompute"));

        Assert.Equal("norecompute", error.ProjectionName);
        Assert.Equal("Projection 'norecompute' has no RecomputeSql, so there is no expected state to compare with: set ReadModelTableMapping.RecomputeSql to a query over the authoritative tables returning the key and value columns.", error.Message);
        Assert.Empty(await store.Drift.CheckAllAsync());
    }

    [Fact]
    public async Task A_recompute_query_missing_a_mapped_column_is_named()
    {
        await fx.ExecuteAsync("CREATE TABLE shape_rm (id int8 PRIMARY KEY, title text, status text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("shape", new ReadModelTableMapping
        {
            Table = "shape_rm",
            KeyColumns = ["id"],
            ValueColumns = ["title", "status"],
            RecomputeSql = "SELECT 1::int8 AS id, 'x' AS name",
        }));

        var error = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("shape"));
        var crossError = await Assert.ThrowsAsync<DriftCheckException>(() => new DriftReconciler(store, fx.Source).CheckAsync("shape"));

        const string expected = "The RecomputeSql of projection 'shape' returns no column named title, status: it must return every key and value column (and the version column when RecomputeReturnsVersion is set) under the read-model column names (alias them with AS). It returns: id, name.";
        Assert.Equal(expected, error.Message);
        Assert.Equal(expected, crossError.Message);
    }

    [Fact]
    public async Task A_recompute_query_without_the_version_it_promises_is_named()
    {
        await fx.ExecuteAsync("CREATE TABLE nover_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("nover", new ReadModelTableMapping
        {
            Table = "nover_rm",
            KeyColumns = ["id"],
            ValueColumns = ["title"],
            RecomputeSql = "SELECT 1::int8 AS id, 'x' AS title",
            RecomputeReturnsVersion = true,
        }));

        var error = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("nover"));

        Assert.Equal(
            "The RecomputeSql of projection 'nover' returns no column named version: it must return every key and value column (and the version column when RecomputeReturnsVersion is set) under the read-model column names (alias them with AS). It returns: id, title.",
            error.Message);
    }

    [Fact]
    public async Task Invalid_check_options_are_listed_in_one_message()
    {
        await fx.ExecuteAsync("CREATE TABLE opts_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("opts", new ReadModelTableMapping { Table = "opts_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = "SELECT 1::int8 AS id, 'x' AS title" }));

        var error = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("opts", new DriftCheckOptions
        {
            SameDatabase = { ChunkSize = 0 },
            CrossDatabase = { FanOut = 1 },
            MaxIncidents = -1,
            CatchUpPollInterval = TimeSpan.Zero,
            MaxParallelWorkers = -1,
            Scope = null!,
        }));

        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "Drift check options are invalid (6):",
                " - SameDatabase.ChunkSize is 0: it must be at least 1.",
                " - CrossDatabase.FanOut is 1: a block must split into at least 2 sub-blocks.",
                " - MaxIncidents, MaxSamples and MaxRechecks cannot be negative.",
                " - CatchUpTimeout cannot be negative and CatchUpPollInterval must be positive.",
                " - MaxParallelWorkers is -1: it must be between 0 and 1024 (PostgreSQL's limit), or null to keep the connection's setting.",
                " - Scope is null: use DriftScope.All."),
            error.Message);
        Assert.Empty(new DriftCheckOptions().Validate());
    }

    [Fact]
    public async Task Requesting_a_row_hash_the_servers_cannot_share_is_refused_with_the_reason()
    {
        // Both servers here are the same build, so they agree; the forced modes resolve as asked and Auto picks the binary hash.
        await fx.ExecuteAsync("CREATE TABLE probe_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("probe", new ReadModelTableMapping { Table = "probe_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = "SELECT 1::int8 AS id, 'x' AS title" }));
        var cross = new DriftReconciler(store, fx.Source);
        Assert.Equal(DriftRowHash.Binary, (await cross.CheckAsync("probe")).RowHash);
        Assert.Equal(DriftRowHash.CanonicalText, (await new DriftReconciler(store, fx.Source).CheckAsync("probe", new DriftCheckOptions { CrossDatabase = { RowHash = DriftRowHash.CanonicalText } })).RowHash);
        Assert.Equal(DriftStrategy.CrossDatabase, cross.Strategy);
        Assert.Equal(DriftStrategy.SameDatabase, store.Drift.Strategy);
    }

    [Fact]
    public async Task An_unknown_projection_is_named()
    {
        await fx.ExecuteAsync("CREATE TABLE known_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("known", new ReadModelTableMapping { Table = "known_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = "SELECT 1::int8 AS id, 'x' AS title" }));
        var error = await Assert.ThrowsAsync<ReadModelKit.Exceptions.ReadModelKitException>(() => store.Drift.CheckAsync("unknown"));
        Assert.Equal("No projection named 'unknown' is registered with ReadModelKit.Npgsql. Registered: known.", error.Message);
    }

    [Fact]
    public async Task An_invalid_recompute_query_is_reported_at_its_own_position_at_start_up_and_at_the_check()
    {
        await fx.ExecuteSourceAsync("CREATE TABLE syn_src (id int4 PRIMARY KEY, title text)");
        await fx.ExecuteAsync("CREATE TABLE syn_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var sql = $"SELECT id, title FORM {fx.SourceTable("syn_src")}";
        var store = await fx.StoreAsync(("syn", new ReadModelTableMapping { Table = "syn_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = sql }));

        var atStartUp = await Assert.ThrowsAsync<RecomputeSqlException>(() => store.Drift.ValidateAsync());
        var atCheck = await Assert.ThrowsAsync<RecomputeSqlException>(() => new DriftReconciler(store, fx.Source).CheckAsync("syn"));

        var position = sql.IndexOf(fx.SourceTable("syn_src"), StringComparison.Ordinal) + 1;
        Assert.Equal(
            $"The RecomputeSql of projection 'syn' is not a valid query in database '{fx.ReadModel.CreateConnection().Database}': syntax error at or near \"\"{fx.SourceSchema}\"\" at character {position} of the RecomputeSql (SQLSTATE 42601). Fix the query: it must be one SELECT returning the key and value columns under the read-model column names.",
            atStartUp.Message);
        Assert.Equal(atStartUp.Message.Replace($"database '{fx.ReadModel.CreateConnection().Database}'", $"database '{fx.SourceDatabase}'", StringComparison.Ordinal), atCheck.Message);
        Assert.Equal("42601", Assert.IsType<global::Npgsql.PostgresException>(atCheck.InnerException).SqlState);
    }

    [Fact]
    public async Task A_missing_source_table_is_named_with_what_to_do()
    {
        await fx.ExecuteAsync("CREATE TABLE nosrc_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("nosrc", new ReadModelTableMapping { Table = "nosrc_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = "SELECT id, title FROM no_such_cases" }));

        var error = await Assert.ThrowsAsync<RecomputeSqlException>(() => new DriftReconciler(store, fx.Source).CheckAsync("nosrc"));

        Assert.Equal(
            $"The RecomputeSql of projection 'nosrc' is not a valid query in database '{fx.SourceDatabase}': relation \"no_such_cases\" does not exist at character 23 of the RecomputeSql (SQLSTATE 42P01). Create it or fix the name (schema-qualify tables that are not on the search path); the query runs in the source database.",
            error.Message);
    }

    [Fact]
    public async Task A_trailing_semicolon_or_comment_does_not_break_the_query()
    {
        await fx.ExecuteSourceAsync("CREATE TABLE semi_src (id int4 PRIMARY KEY, title text); INSERT INTO semi_src VALUES (1, 'a;b'), (2, 'c')");
        await fx.ExecuteAsync("CREATE TABLE semi_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL DEFAULT 1, projected_at timestamptz, deleted_at timestamptz); INSERT INTO semi_rm (id, title) VALUES (1, 'a;b'), (2, 'x')");
        string[] queries =
        [
            $"SELECT id, title FROM {fx.SourceTable("semi_src")};",
            $"SELECT id, title FROM {fx.SourceTable("semi_src")} -- the cases",
            $"SELECT id, title /* ; */ FROM {fx.SourceTable("semi_src")} ; ; -- done;\n",
            $"SELECT id, title FROM {fx.SourceTable("semi_src")} WHERE title <> ';' AND title <> $$;$$;",
        ];
        for (var i = 0; i < queries.Length; i++)
        {
            var store = await fx.StoreAsync(("semi" + i, new ReadModelTableMapping { Table = "semi_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = queries[i] }));
            foreach (var drift in new[] { store.Drift, new DriftReconciler(store, fx.Source) })
            {
                await drift.ValidateAsync();
                var report = await drift.CheckAsync("semi" + i, DriftCases.Options());
                Assert.Equal([(new RowKey(2L), DriftKind.Changed)], DriftCases.Found(report));
            }
        }
    }

    [Fact]
    public async Task A_scope_value_of_the_wrong_type_is_named()
    {
        await fx.ExecuteAsync("CREATE TABLE scopet_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("scopet", new ReadModelTableMapping { Table = "scopet_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = "SELECT 1::int8 AS id, 'x' AS title" }));

        var prefix = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("scopet", new DriftCheckOptions { Scope = DriftScope.Tenant("t-9") }));
        var range = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("scopet", new DriftCheckOptions { Scope = DriftScope.Range(new RowKey(1L), new RowKey("z")) }));

        Assert.Equal("Scope.KeyPrefix gives 't-9' (String) for key column 'id' of type bigint in projection 'scopet': give a value of the column's type (for example a long for int8, a string for text).", prefix.Message);
        Assert.Equal("Scope.To gives 'z' (String) for key column 'id' of type bigint in projection 'scopet': give a value of the column's type (for example a long for int8, a string for text).", range.Message);
    }

    [Fact]
    public async Task An_undefined_row_hash_or_mode_is_named_with_the_defined_values()
    {
        await fx.ExecuteAsync("CREATE TABLE enum_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync(("enum", new ReadModelTableMapping { Table = "enum_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = "SELECT 1::int8 AS id, 'x' AS title" }));

        var error = await Assert.ThrowsAsync<DriftCheckException>(() => new DriftReconciler(store, fx.Source).CheckAsync("enum", new DriftCheckOptions { CrossDatabase = { RowHash = (DriftRowHash)7 }, Mode = (DriftCheckMode)9 }));

        Assert.Equal(
            string.Join(Environment.NewLine, "Drift check options are invalid (2):", " - CrossDatabase.RowHash 7 is not defined: use one of Auto, Binary, CanonicalText.", " - Mode 9 is not defined: use one of Full, Sample."),
            error.Message);
    }

    [Fact]
    public async Task A_check_before_initialization_says_to_initialize_for_drift_checks()
    {
        await fx.ExecuteAsync("CREATE TABLE uninit_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz)");
        var options = new NpgsqlReadModelOptions { Schema = fx.Schema + "_rmk" };
        options.Map("uninit", new ReadModelTableMapping { Table = "uninit_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = "SELECT 1::int8 AS id, 'x' AS title" });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(fx.ReadModel), options, [new Infrastructure.CaseListProjection(Infrastructure.CaseListProjection.ContractFor("uninit", ReadModelKit.Contracts.IdempotencyMode.Inbox))], TimeProvider.System);

        var check = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("uninit"));
        var all = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAllAsync());
        var repair = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.RepairKeysAsync("uninit", [new RowKey(1L)]));

        const string expected = "Drift checks and repairs need an initialized store: call NpgsqlReadModelStore.InitializeAsync at start-up before checking or repairing drift.";
        Assert.Equal([expected, expected, expected], new[] { check.Message, all.Message, repair.Message });
    }
}
