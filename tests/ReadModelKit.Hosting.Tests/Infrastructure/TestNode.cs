using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Hosting;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Infrastructure;

/// <summary>Builds generic hosts that run case-list projections (<see cref="CaseListProjection"/>) in a fixture's schema.</summary>
public static class TestNode
{
    /// <summary>An outbox-fed case-list contract named <paramref name="name"/> reading <paramref name="stream"/>.</summary>
    public static ProjectionContract Contract(string name, string stream, FreshnessContract? freshness = null) =>
        CaseListProjection.ContractFor(name, IdempotencyMode.Checkpoint) with
        {
            Source = new ProjectionSource(SourceKind.Outbox, stream),
            Freshness = freshness ?? FreshnessContract.Default,
        };

    /// <summary>Creates the table <c>{name}_rm</c> for each projection.</summary>
    public static async Task CreateTablesAsync(PostgresSchemaFixture db, params string[] names)
    {
        foreach (var name in names)
        {
            await db.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, CaseListProjection.TableSql, $"\"{name}_rm\""));
        }
    }

    /// <summary>
    /// A host builder (the library's tables in schema <c>{fixture schema}_{library}</c>) with ReadModelKit registered the way an application does it: projections, <c>UseNpgsql</c> on the container's
    /// data source, <c>AddHosting</c> bound from the <c>ReadModelKit:Hosting</c> section of <paramref name="settings"/>, with fast runners and (unless the settings enable it) no scheduled maintenance.
    /// </summary>
    public static HostApplicationBuilder Builder(PostgresSchemaFixture db, IEnumerable<ProjectionContract> contracts, IDictionary<string, string?>? settings = null, Action<ReadModelKitHostingOptions>? configure = null, Action<IServiceCollection>? before = null, string library = "rmk", Action<NpgsqlReadModelOptions>? store = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ReadModelKit:Hosting:Maintenance:Enabled"] = "false" });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        before?.Invoke(builder.Services);
        builder.Services.AddSingleton(db.DataSource);
        var list = contracts.ToList();
        builder.Services
            .AddReadModelKit(kit =>
            {
                foreach (var contract in list)
                {
                    kit.AddProjection(new CaseListProjection(contract));
                }
            })
            .UseNpgsql(o =>
            {
                o.Schema = db.Schema + "_" + library;
                foreach (var contract in list)
                {
                    o.Map(contract.Name, CaseListProjection.Mapping(contract.Name + "_rm"));
                }

                store?.Invoke(o);
            })
            .AddHosting(builder.Configuration.GetSection("ReadModelKit:Hosting"), o =>
            {
                o.Runner.MinIdleDelay = TimeSpan.FromMilliseconds(10);
                o.Runner.MaxIdleDelay = TimeSpan.FromMilliseconds(200);
                o.Runner.LeaseDuration = TimeSpan.FromSeconds(3);
                o.Runner.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
                o.Runner.IdleCheckpointInterval = TimeSpan.FromMilliseconds(200);
                configure?.Invoke(o);
            });
        return builder;
    }

    /// <summary>Appends case upserts (tenant <paramref name="tenant"/>, cases 1..<paramref name="count"/>, version 1) to <paramref name="stream"/> in one transaction, occurring at <paramref name="occurredAt"/>.</summary>
    public static async Task<List<EventEnvelope>> AppendAsync(IServiceProvider services, string stream, string tenant, int count, DateTimeOffset occurredAt, int firstCase = 1)
    {
        var store = services.GetRequiredService<NpgsqlReadModelStore>();
        var dataSource = services.GetRequiredService<ReadModelKitDataSource>().DataSource;
        var events = Enumerable.Range(firstCase, count).Select(i => CaseListProjection.Upserted(tenant, i, 1, "open") with { OccurredAt = occurredAt }).ToList();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await store.Outbox.AppendAsync(connection, transaction, stream, events);
        await transaction.CommitAsync();
        return events;
    }

    /// <summary>Waits until <c>{name}_rm</c> holds <paramref name="rows"/> rows.</summary>
    public static Task RowsAsync(PostgresSchemaFixture db, string name, long rows) =>
        Eventually.TrueAsync(async () => await db.ScalarAsync<long>($"SELECT count(*) FROM \"{name}_rm\"") == rows, TimeSpan.FromSeconds(30), $"{name}_rm holds {rows} rows");
}
