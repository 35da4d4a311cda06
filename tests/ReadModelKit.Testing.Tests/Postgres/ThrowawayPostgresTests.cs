using Npgsql;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Testing.Tests.Postgres;

public sealed class ThrowawayPostgresTests
{
    [DockerFact]
    public async Task Testcontainers_starts_a_postgres_15_container_and_removes_it_on_dispose()
    {
        var server = await ThrowawayPostgres.StartAsync(PostgresSource.Testcontainers);
        await using (server)
        {
            Assert.Equal(PostgresSource.Testcontainers, server.Source);
            Assert.Equal(150000, (int)(await ScalarAsync(server.ConnectionString, "SHOW server_version_num") is string v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) / 10000 * 10000 : 0));
        }

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(server.ConnectionString, "SELECT 1"));
    }

    [Fact]
    public async Task Testcontainers_without_an_engine_says_why_and_names_the_three_ways()
    {
        if (DockerEngine.Answers(out _))
        {
            return;
        }

        var error = await Assert.ThrowsAsync<PostgresUnavailableException>(() => ThrowawayPostgres.StartAsync(PostgresSource.Testcontainers));
        Assert.Contains("Testcontainers: no Docker engine answered", error.Message, StringComparison.Ordinal);
        Assert.Contains(ThrowawayPostgres.ConnectionVariable, error.Message, StringComparison.Ordinal);
        Assert.Contains("a running Docker engine", error.Message, StringComparison.Ordinal);
        Assert.Contains("initdb, pg_ctl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_cluster_serves_connections_and_its_directory_is_removed_on_dispose()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "readmodelkit-pg-*").ToHashSet();
        var server = await ThrowawayPostgres.StartAsync(PostgresSource.LocalBinaries);
        string[] created;
        await using (server)
        {
            Assert.Equal(PostgresSource.LocalBinaries, server.Source);
            Assert.Equal(1, await ScalarAsync(server.ConnectionString, "SELECT 1"));
            created = Directory.GetDirectories(Path.GetTempPath(), "readmodelkit-pg-*").Where(d => !before.Contains(d) && server.Description.Contains(d, StringComparison.Ordinal)).ToArray();
            Assert.Single(created);
        }

        Assert.False(Directory.Exists(created[0]), $"{created[0]} was not removed");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(server.ConnectionString, "SELECT 1"));
    }

    [Fact]
    public async Task A_test_schema_is_the_current_schema_and_is_dropped_with_its_siblings()
    {
        var server = await ThrowawayPostgres.SharedAsync();
        var schema = await PostgresTestSchema.CreateAsync(server.ConnectionString);
        await using (schema)
        {
            Assert.Equal(schema.Name, await schema.ScalarAsync<string>("SELECT current_schema()"));
            await schema.ExecuteAsync($"CREATE TABLE probe (id int); CREATE SCHEMA \"{schema.Name}_rmk\"; CREATE TABLE \"{schema.Name}_rmk\".x (id int)");
        }

        var left = await ScalarAsync(server.ConnectionString, $"SELECT count(*) FROM pg_namespace WHERE nspname LIKE '{schema.Name}%'");
        Assert.Equal(0L, left);
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
