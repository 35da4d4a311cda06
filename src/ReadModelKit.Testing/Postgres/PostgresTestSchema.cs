using Npgsql;

namespace ReadModelKit.Testing.Postgres;

/// <summary>
/// A schema of its own for one test class (or one test), so tests run in parallel on one server without seeing each other's tables.
/// Connections of <see cref="DataSource"/> put the schema first on the search path. Disposing drops the schema and every schema
/// whose name starts with <c>{Name}_</c> (for example the ReadModelKit schema <c>{Name}_rmk</c> a test configured).
/// </summary>
public sealed class PostgresTestSchema : IAsyncDisposable
{
    private readonly NpgsqlDataSource _admin;
    private int _disposed;

    private PostgresTestSchema(string name, NpgsqlDataSource admin, string connectionString)
    {
        Name = name;
        _admin = admin;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>The unique schema name (<c>t_</c> and 16 hex digits).</summary>
    public string Name { get; }

    /// <summary>A data source whose connections use <see cref="Name"/> as their current schema.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The connection string of <see cref="DataSource"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates a schema on the process-wide <see cref="ThrowawayPostgres.SharedAsync"/> server.</summary>
    /// <param name="cancellationToken">Cancels the creation.</param>
    public static async Task<PostgresTestSchema> CreateAsync(CancellationToken cancellationToken = default)
    {
        var server = await ThrowawayPostgres.SharedAsync().ConfigureAwait(false);
        return await CreateAsync(server.ConnectionString, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a schema on the server of <paramref name="serverConnectionString"/>.</summary>
    /// <param name="serverConnectionString">A connection string of a role that may create schemas.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    public static async Task<PostgresTestSchema> CreateAsync(string serverConnectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverConnectionString);
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        var admin = NpgsqlDataSource.Create(serverConnectionString);
        try
        {
            using var create = admin.CreateCommand($"CREATE SCHEMA \"{name}\"");
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await admin.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { SearchPath = name }.ConnectionString;
        return new PostgresTestSchema(name, admin, connectionString);
    }

    /// <summary>Runs <paramref name="sql"/> in the schema.</summary>
    /// <param name="sql">The statements.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="sql"/> in the schema and returns the first column of the first row (default when NULL or no row).</summary>
    /// <typeparam name="T">The column's type.</typeparam>
    /// <param name="sql">The query.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public async Task<T?> ScalarAsync<T>(string sql, CancellationToken cancellationToken = default)
    {
        using var command = DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull or null ? default : (T)value;
    }

    /// <summary>Closes the data source and drops the schema and its <c>{Name}_*</c> siblings with everything in them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await DataSource.DisposeAsync().ConfigureAwait(false);
        try
        {
            using var drop = _admin.CreateCommand("""
                DO $$
                DECLARE s text;
                BEGIN
                    FOR s IN SELECT nspname FROM pg_namespace WHERE nspname = $n$NAME$n$ OR starts_with(nspname, $n$NAME_$n$) LOOP
                        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s);
                    END LOOP;
                END $$
                """.Replace("NAME", Name, StringComparison.Ordinal));
            await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        finally
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
        }
    }
}
