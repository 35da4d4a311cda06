using Npgsql;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Mapping;

public sealed class ReadModelTableInspectorTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static ReadModelTableMapping Map(string table) => CaseListProjection.Mapping(table);

    private async Task<ReadModelMappingException> FailsAsync(ReadModelTableMapping mapping)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return await Assert.ThrowsAsync<ReadModelMappingException>(() => ReadModelTableInspector.InspectAsync(connection, "case_list", mapping));
    }

    [Fact]
    public async Task A_matching_table_resolves_with_its_column_types_and_schema()
    {
        await db.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, CaseListProjection.TableSql, "ok_table"));
        await using var connection = await db.DataSource.OpenConnectionAsync();

        var table = await ReadModelTableInspector.InspectAsync(connection, "case_list", Map("ok_table"));

        Assert.Equal($"\"{db.Schema}\".\"ok_table\"", table.QualifiedName);
        Assert.Equal(["text", "int4"], table.Keys.Select(k => k.TypeName));
        Assert.Equal("int8", table.Version.TypeName);
    }

    [Fact]
    public async Task A_missing_table_says_to_create_it()
    {
        var exception = await FailsAsync(Map("no_such_table"));

        Assert.Equal(["Table no_such_table does not exist (or is not visible on the search path): create it, or fix Schema and Table in the mapping."], exception.Errors);
        Assert.Equal("case_list", exception.ProjectionName);
    }

    [Fact]
    public async Task A_table_without_the_version_column_says_how_to_add_it()
    {
        await db.ExecuteAsync("CREATE TABLE no_version (tenant_id text, case_id int, status text, title text, projected_at timestamptz, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id))");

        var exception = await FailsAsync(Map("no_version"));

        Assert.Equal([$"Table {db.Schema}.no_version has no version column 'version': the version guard needs it. Add it (ALTER TABLE {db.Schema}.no_version ADD COLUMN version bigint NOT NULL DEFAULT 0) or set VersionColumn to the column holding the source version."], exception.Errors);
    }

    [Fact]
    public async Task Every_mismatch_is_listed_in_one_exception()
    {
        await db.ExecuteAsync("CREATE TABLE wrong_shape (tenant_id text NOT NULL, case_id int NOT NULL, status text NOT NULL, version text, projected_at timestamp, deleted_at timestamptz)");

        var exception = await FailsAsync(Map("wrong_shape"));

        var t = $"{db.Schema}.wrong_shape";
        Assert.Equal(
        [
            $"Table {t} has no value column 'title': add the column or fix ValueColumns in the mapping.",
            $"Version column 'version' of {t} is text: it must be bigint (or integer/smallint) so versions compare as numbers.",
            $"Column 'projected_at' (ProjectedAtColumn) of {t} is timestamp without time zone: it must be timestamptz.",
            $"Value column 'status' of {t} is NOT NULL, but tombstoned rows hold NULL values: make it nullable (ALTER TABLE {t} ALTER COLUMN status DROP NOT NULL) or set TombstoneColumn to null if the projection never deletes.",
            $"Table {t} has no unique index or primary key on exactly (tenant_id, case_id): the guarded upsert needs one. Add it with CREATE UNIQUE INDEX ON {t} (tenant_id, case_id).",
        ], exception.Errors);
        Assert.StartsWith($"The table mapping of projection 'case_list' does not match table {t} (5 problems):", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_unique_index_on_other_columns_does_not_count()
    {
        await db.ExecuteAsync("CREATE TABLE half_key (tenant_id text, case_id int, status text, title text, version bigint, projected_at timestamptz, deleted_at timestamptz, UNIQUE (case_id))");

        var exception = await FailsAsync(Map("half_key"));

        Assert.Contains(exception.Errors, e => e.StartsWith($"Table {db.Schema}.half_key has no unique index or primary key on exactly (tenant_id, case_id)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_identifiers_and_contradicting_columns_are_rejected_before_touching_the_database()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var injection = await Assert.ThrowsAsync<InvalidIdentifierException>(() => ReadModelTableInspector.InspectAsync(connection, "case_list", Map("cases; DROP TABLE x")));
        var duplicate = await FailsAsync(Map("x") with { ValueColumns = ["status", "tenant_id"] });
        var noKey = await FailsAsync(Map("x") with { KeyColumns = [] });
        var versionWithoutQuery = await FailsAsync(Map("x") with { RecomputeReturnsVersion = true });

        Assert.Equal("The read-model table name 'cases; DROP TABLE x' is not a valid identifier: use 1-63 ASCII letters, digits or underscores, not starting with a digit (names are quoted, never concatenated raw).", injection.Message);
        Assert.Equal(["Column 'tenant_id' is mapped more than once (key, value, version, projected-at and tombstone columns must all differ)."], duplicate.Errors);
        Assert.Equal(["KeyColumns is empty: list the columns that identify a row (for example tenant_id, case_id)."], noKey.Errors);
        Assert.Equal(["RecomputeReturnsVersion is set but RecomputeSql is not: declare the recompute query (returning the version column) or clear RecomputeReturnsVersion."], versionWithoutQuery.Errors);
    }

    [Fact]
    public async Task Store_start_up_names_projections_without_mapping()
    {
        var projection = new CaseListProjection(CaseListProjection.ContractFor("unmapped", ReadModelKit.Contracts.IdempotencyMode.Inbox));
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        options.Map("ghost", Map("ghost_table"));
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, [projection], TimeProvider.System);

        var exception = await Assert.ThrowsAsync<ReadModelKitException>(() => store.InitializeAsync());

        Assert.Equal("ReadModelKit.Npgsql cannot start: projection 'unmapped' has no table mapping: add o.Map(\"unmapped\", new ReadModelTableMapping { … }) in UseNpgsql; a table mapping names 'ghost', which is not a registered projection: register it with AddProjection(projection) or remove the mapping.", exception.Message);
        Assert.Throws<InvalidOperationException>(() => store.GetApplier("unmapped"));
    }
}
