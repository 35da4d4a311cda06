using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

public static class StoreFactory
{
    /// <summary>Creates the projection's table (if <paramref name="tableSql"/> is given), a store in the fixture's schema, and initializes it.</summary>
    public static async Task<NpgsqlReadModelStore> CreateAsync(PostgresSchemaFixture db, IProjection projection, string table, string? tableSql = CaseListProjection.TableSql, Action<NpgsqlReadModelOptions>? configure = null, TimeProvider? time = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null)
    {
        if (tableSql is not null)
        {
            await db.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, tableSql, $"\"{table}\""));
        }

        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        options.Map(projection.Contract.Name, CaseListProjection.Mapping(table));
        configure?.Invoke(options);
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, [projection], time ?? TimeProvider.System, loggers);
        await store.InitializeAsync();
        return store;
    }

    public static ApplierOptions NoRetries => new() { MaxTransientRetries = 0, MaxHandlerAttempts = 1 };
}
