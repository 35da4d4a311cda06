using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Schema;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Schema;

public sealed class SchemaMigratorTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Many_processes_starting_at_once_migrate_exactly_once()
    {
        var schema = db.Schema + "_concurrent";

        var before = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new SchemaMigrator(db.DataSource, schema).MigrateAsync())));

        Assert.Single(before, v => v == 0);
        Assert.Equal(7, before.Count(v => v == SchemaMigrator.LatestVersion));
        Assert.Equal((long)SchemaMigrator.LatestVersion, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{schema}\".schema_version"));
        Assert.Equal(3L, await db.ScalarAsync<long>($"SELECT count(*) FROM pg_tables WHERE schemaname = '{schema}' AND tablename IN ('inbox', 'checkpoint', 'dead_letter')"));
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_release_is_refused_with_what_to_do()
    {
        var schema = db.Schema + "_newer";
        await new SchemaMigrator(db.DataSource, schema).MigrateAsync();
        await db.ExecuteAsync($"INSERT INTO \"{schema}\".schema_version (version, description) VALUES (999, 'from the future')");

        var exception = await Assert.ThrowsAsync<ReadModelKitException>(() => new SchemaMigrator(db.DataSource, schema).MigrateAsync());

        Assert.Equal($"Schema {schema} is at version 999, newer than this release of ReadModelKit knows ({SchemaMigrator.LatestVersion}). Upgrade the ReadModelKit packages of this application.", exception.Message);
    }
}
