using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// One PostgreSQL server per benchmark process with the tables every apply scenario writes:
/// <list type="bullet">
/// <item><c>bench_rmk.inbox</c>, <c>.checkpoint</c>, <c>.dead_letter</c>: the library's own tables, created by <see cref="NpgsqlReadModelStore.InitializeAsync"/>
/// (inbox: primary key (projection_name, event_id) + BRIN on processed_at);</item>
/// <item><c>bench.case_list</c>: the read model (primary key (tenant_id, case_id)), written by the library and by the per-event baseline;</item>
/// <item><c>bench.copy_inbox</c>, <c>bench.copy_case_list</c>: the COPY ceiling's targets, same columns, defaults and primary keys, no other index.</item>
/// </list>
/// Both schemas are dropped and created again at start, so a server named by <c>READMODELKIT_CONNECTION</c> can be reused.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    /// <summary>The library's schema.</summary>
    public const string LibrarySchema = "bench_rmk";

    /// <summary>The schema of the read model and the COPY targets.</summary>
    public const string TableSchema = "bench";

    /// <summary>The read model, schema-qualified.</summary>
    public const string Table = TableSchema + ".case_list";

    /// <summary>The COPY ceiling's inbox: the library inbox's columns and primary key, no BRIN index.</summary>
    public const string CopyInbox = TableSchema + ".copy_inbox";

    /// <summary>The COPY ceiling's read model: the read model's columns and primary key.</summary>
    public const string CopyTable = TableSchema + ".copy_case_list";

    private readonly ThrowawayPostgres _server;

    private BenchDatabase(ThrowawayPostgres server, NpgsqlDataSource dataSource, BenchCaseProjection projection, ProjectionApplier applier)
    {
        _server = server;
        DataSource = dataSource;
        Projection = projection;
        Applier = applier;
    }

    public NpgsqlDataSource DataSource { get; }

    public BenchCaseProjection Projection { get; }

    public ProjectionApplier Applier { get; }

    public string ProjectionName => Projection.Contract.Name;

    /// <summary>Starts the server, creates the tables and initializes the store for a projection in <paramref name="mode"/>.</summary>
    public static async Task<BenchDatabase> StartAsync(IdempotencyMode mode)
    {
        var server = await ThrowawayPostgres.StartAsync(Console.WriteLine);
        var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        var projection = new BenchCaseProjection(mode);

        // A server from READMODELKIT_CONNECTION may hold a previous run's objects: start from nothing.
        await ExecuteAsync(dataSource, $"""
            DROP SCHEMA IF EXISTS {LibrarySchema} CASCADE;
            DROP SCHEMA IF EXISTS {TableSchema} CASCADE;
            CREATE SCHEMA {TableSchema};
            {string.Format(CultureInfo.InvariantCulture, BenchCaseProjection.TableSql, Table)};
            CREATE TABLE {CopyTable} (LIKE {Table} INCLUDING DEFAULTS, PRIMARY KEY (tenant_id, case_id))
            """);

        var options = new NpgsqlReadModelOptions { Schema = LibrarySchema };
        options.Map(projection.Contract.Name, BenchCaseProjection.Mapping(TableSchema, "case_list"));
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [projection], TimeProvider.System);
        await store.InitializeAsync();
        var database = new BenchDatabase(server, dataSource, projection, store.GetApplier(projection.Contract.Name));
        await ExecuteAsync(dataSource, $"CREATE TABLE {CopyInbox} (LIKE {LibrarySchema}.inbox INCLUDING DEFAULTS, PRIMARY KEY (projection_name, event_id))");
        return database;
    }

    /// <summary>Empties the read model, the COPY targets and (when <paramref name="inbox"/>) the inbox, and moves the checkpoint back to 0.</summary>
    public Task ResetAsync(bool inbox) => ExecuteAsync($"""
        TRUNCATE {Table}, {CopyInbox}, {CopyTable}{(inbox ? $", {LibrarySchema}.inbox" : string.Empty)};
        UPDATE {LibrarySchema}.checkpoint SET position = 0, last_source_time = NULL, projected_at = NULL;
        """);

    /// <summary>Fills the inbox with <paramref name="count"/> earlier events of the projection (ids of the given kind, older than any workload id).</summary>
    public async Task PrefillInboxAsync(int count, EventIdKind ids)
    {
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            await using var importer = await connection.BeginBinaryImportAsync($"COPY {LibrarySchema}.inbox (projection_name, event_id, processed_at) FROM STDIN (FORMAT BINARY)");
            var start = DateTimeOffset.UtcNow.AddDays(-7);
            for (var i = 0; i < count; i++)
            {
                var at = start.AddMilliseconds(i * 500L);
                await importer.StartRowAsync();
                await importer.WriteAsync(ProjectionName, NpgsqlDbType.Text);
                await importer.WriteAsync(ids == EventIdKind.Version7 ? Guid.CreateVersion7(at) : Guid.NewGuid(), NpgsqlDbType.Uuid);
                await importer.WriteAsync(at.UtcDateTime, NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync();
        }

        await ExecuteAsync($"VACUUM ANALYZE {LibrarySchema}.inbox");
    }

    public async Task<long> CountAsync(string table)
    {
        await using var command = DataSource.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public Task ExecuteAsync(string sql) => ExecuteAsync(DataSource, sql);

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // One statement at a time: VACUUM cannot run inside the implicit transaction of a multi-statement batch.
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await _server.DisposeAsync();
    }
}
