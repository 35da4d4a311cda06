using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>
/// Two databases on the test server: the read-model database (schema <see cref="Schema"/>, holding the read models and the library's
/// tables) and a separate source database. Source tables live in schema <see cref="SourceSchema"/> of BOTH databases with identical
/// content, so a mapping's RecomputeSql (which names them schema-qualified) means the same state whether a same-database check runs it
/// in the read-model database or a cross-database check runs it in the source database.
/// </summary>
public sealed class DriftFixture : IAsyncLifetime
{
    private NpgsqlDataSource? _admin;
    private NpgsqlDataSource? _sourceAdmin;

    public string Schema { get; } = "d_" + Guid.NewGuid().ToString("N")[..16];

    public string SourceSchema { get; } = "s_" + Guid.NewGuid().ToString("N")[..16];

    public string SourceDatabase { get; } = "drift_" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>The read-model database (search path <see cref="Schema"/>).</summary>
    public NpgsqlDataSource ReadModel { get; private set; } = null!;

    /// <summary>The separate source database (search path <see cref="SourceSchema"/>).</summary>
    public NpgsqlDataSource Source { get; private set; } = null!;

    /// <summary>The connection string of the test server (no database or search path of this fixture).</summary>
    public string ServerConnectionString { get; private set; } = "";

    /// <summary>The schema-qualified name of a source table, valid in both databases.</summary>
    public string SourceTable(string table) => $"\"{SourceSchema}\".\"{table}\"";

    public async Task InitializeAsync()
    {
        var server = await SharedPostgres.GetAsync();
        ServerConnectionString = server.ConnectionString;
        _admin = NpgsqlDataSource.Create(server.ConnectionString);
        await ExecuteAsync(_admin, $"CREATE SCHEMA \"{Schema}\"; CREATE SCHEMA \"{SourceSchema}\"");
        await ExecuteAsync(_admin, $"CREATE DATABASE \"{SourceDatabase}\"");
        ReadModel = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = Schema }.ConnectionString);
        _sourceAdmin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = SourceDatabase }.ConnectionString);
        await ExecuteAsync(_sourceAdmin, $"CREATE SCHEMA \"{SourceSchema}\"");
        Source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = SourceDatabase, SearchPath = SourceSchema }.ConnectionString);
    }

    /// <summary>Runs source DDL/DML in both databases (schema <see cref="SourceSchema"/> first on the search path).</summary>
    public async Task ExecuteSourceAsync(string sql)
    {
        var scoped = $"SET search_path = \"{SourceSchema}\"; {sql}";
        await ExecuteAsync(_admin!, scoped);
        await ExecuteAsync(_sourceAdmin!, scoped);
    }

    /// <summary>Runs SQL in the read-model database (search path <see cref="Schema"/>).</summary>
    public Task ExecuteAsync(string sql) => ExecuteAsync(ReadModel, sql);

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = ReadModel.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Creates and initializes a store over the given read-model tables (already created), one projection per mapping.</summary>
    public Task<NpgsqlReadModelStore> StoreAsync(params (string Name, ReadModelTableMapping Mapping)[] projections) => StoreAsync(ReadModel, projections);

    /// <summary>As <see cref="StoreAsync(ValueTuple{string, ReadModelTableMapping}[])"/>, reading the read-model database through <paramref name="readModel"/>.</summary>
    public async Task<NpgsqlReadModelStore> StoreAsync(NpgsqlDataSource readModel, params (string Name, ReadModelTableMapping Mapping)[] projections)
    {
        var options = new NpgsqlReadModelOptions { Schema = Schema + "_rmk" };
        foreach (var (name, mapping) in projections)
        {
            options.Map(name, mapping);
        }

        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(readModel), options, projections.Select(p => (IProjection)new TableOnlyProjection(p.Name)).ToList(), TimeProvider.System);
        await store.InitializeAsync();
        return store;
    }

    public async Task DisposeAsync()
    {
        if (ReadModel is not null)
        {
            await ReadModel.DisposeAsync();
        }

        if (Source is not null)
        {
            await Source.DisposeAsync();
        }

        if (_sourceAdmin is not null)
        {
            await _sourceAdmin.DisposeAsync();
        }

        if (_admin is not null)
        {
            await ExecuteAsync(_admin, $"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE; DROP SCHEMA IF EXISTS \"{Schema}_rmk\" CASCADE; DROP SCHEMA IF EXISTS \"{SourceSchema}\" CASCADE");
            await ExecuteAsync(_admin, $"DROP DATABASE IF EXISTS \"{SourceDatabase}\" WITH (FORCE)");
            await _admin.DisposeAsync();
        }
    }

    /// <summary>A projection that only exists so a store maps its table; drift checks never call it.</summary>
    private sealed class TableOnlyProjection(string name) : IProjection
    {
        public ProjectionContract Contract { get; } = CaseListProjection.ContractFor(name, IdempotencyMode.Inbox);

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => throw new NotSupportedException("Drift tests never apply events to this projection.");
    }
}
