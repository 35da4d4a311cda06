namespace ReadModelKit.Npgsql.Tests.Infrastructure;

public sealed class HarnessTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Connections_land_in_the_class_schema_of_a_real_server()
    {
        Assert.Equal(db.Schema, await db.ScalarAsync<string>("SELECT current_schema()"));
        Assert.StartsWith("PostgreSQL ", await db.ScalarAsync<string>("SELECT version()"), StringComparison.Ordinal);

        await db.ExecuteAsync("CREATE TABLE probe (id int PRIMARY KEY); INSERT INTO probe VALUES (1), (2)");
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}\".probe"));
    }
}
