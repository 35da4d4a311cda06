using Npgsql;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>
/// A schema of its own for one test class, so classes run in parallel without seeing each other's tables.
/// The data source puts the schema first on the search path; the schema is dropped afterwards.
/// </summary>
public sealed class PostgresSchemaFixture : IAsyncLifetime
{
    private NpgsqlDataSource? _admin;

    /// <summary>The unique schema name of this test class.</summary>
    public string Schema { get; } = "t_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>A data source whose connections use <see cref="Schema"/>.</summary>
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <summary>The connection string of <see cref="DataSource"/>.</summary>
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = await SharedPostgres.GetAsync();
        _admin = NpgsqlDataSource.Create(server.ConnectionString);
        await using (var create = _admin.CreateCommand($"CREATE SCHEMA \"{Schema}\""))
        {
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = Schema }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>Runs <paramref name="sql"/> and returns the first column of the first row.</summary>
    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    /// <summary>Runs <paramref name="sql"/>.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_admin is not null)
        {
            await using (var drop = _admin.CreateCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE"))
            {
                await drop.ExecuteNonQueryAsync();
            }

            await _admin.DisposeAsync();
        }
    }
}
