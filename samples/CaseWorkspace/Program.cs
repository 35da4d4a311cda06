using System.Text.Json;
using CaseWorkspace;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Freshness;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql;
using ReadModelKit.PostgresHarness;
using ReadModelKit.Projections;
using ReadModelKit.Serialization;

// With READMODELKIT_CONNECTION unset, this starts a throwaway PostgreSQL and removes it at the end.
await using var server = await PostgresServer.StartAsync(Console.WriteLine);
await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);

var services = new ServiceCollection();
services.AddReadModelKit(kit => kit.AddProjection(CaseListContract.Value))
        .UseNpgsql(dataSource, o => o.Schema = "readmodelkit");
await using var provider = services.BuildServiceProvider();

var catalog = provider.GetRequiredService<ProjectionCatalog>();
Console.WriteLine($"Registered {catalog.Contracts.Count} projection(s). Design card:");
Console.WriteLine(DesignCardWriter.Render(catalog.Get("case_list_read_model")));

await using (var command = provider.GetRequiredService<ReadModelKitDataSource>().DataSource.CreateCommand("SELECT version()"))
{
    Console.WriteLine($"Connected to {await command.ExecuteScalarAsync()}");
}

var state = new ProjectionStateMachine(CaseListContract.Value.Name);
state.TransitionTo(ProjectionState.Live);
var now = TimeProvider.System.GetUtcNow();
var freshness = FreshnessInfo.Compute(CaseListContract.Value.Freshness, state.Current, now, now.AddSeconds(-2), null, now);
Console.WriteLine("Freshness block:");
Console.WriteLine(JsonSerializer.Serialize(freshness, ReadModelKitJsonContext.Default.FreshnessInfo));
Console.WriteLine("CaseWorkspace sample finished.");
await DriftDemo.RunAsync(server.ConnectionString);
