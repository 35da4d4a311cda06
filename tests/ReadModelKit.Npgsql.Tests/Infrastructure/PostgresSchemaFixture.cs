using Npgsql;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>
/// A schema of its own for one test class (a <see cref="PostgresTestSchema"/> on the shared server), so classes run in parallel
/// without seeing each other's tables. The data source puts the schema first on the search path; the schema is dropped afterwards.
/// </summary>
public sealed class PostgresSchemaFixture : IAsyncLifetime
{
    private PostgresTestSchema? _schema;

    /// <summary>The unique schema name of this test class.</summary>
    public string Schema => Owned.Name;

    /// <summary>A data source whose connections use <see cref="Schema"/>.</summary>
    public NpgsqlDataSource DataSource => Owned.DataSource;

    /// <summary>The connection string of <see cref="DataSource"/>.</summary>
    public string ConnectionString => Owned.ConnectionString;

    private PostgresTestSchema Owned => _schema ?? throw new InvalidOperationException("The fixture is not initialized yet.");

    public async Task InitializeAsync() => _schema = await PostgresTestSchema.CreateAsync();

    /// <summary>Runs <paramref name="sql"/> and returns the first column of the first row.</summary>
    public Task<T?> ScalarAsync<T>(string sql) => Owned.ScalarAsync<T>(sql);

    /// <summary>Runs <paramref name="sql"/>.</summary>
    public Task ExecuteAsync(string sql) => Owned.ExecuteAsync(sql);

    public async Task DisposeAsync()
    {
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
