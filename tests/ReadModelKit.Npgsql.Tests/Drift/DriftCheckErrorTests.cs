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
            ChunkSize = 0,
            FanOut = 1,
            MaxIncidents = -1,
            CatchUpPollInterval = TimeSpan.Zero,
            Scope = null!,
        }));

        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "Drift check options are invalid (5):",
                " - ChunkSize is 0: it must be at least 1.",
                " - FanOut is 1: a block must split into at least 2 sub-blocks.",
                " - MaxIncidents, MaxSamples and MaxRechecks cannot be negative.",
                " - CatchUpTimeout cannot be negative and CatchUpPollInterval must be positive.",
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
        Assert.Equal(DriftRowHash.CanonicalText, (await new DriftReconciler(store, fx.Source).CheckAsync("probe", new DriftCheckOptions { RowHash = DriftRowHash.CanonicalText })).RowHash);
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
}
