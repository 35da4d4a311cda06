using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Freshness;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql;
using ReadModelKit.Projections;
using ReadModelKit.Serialization;

namespace CaseWorkspace;

/// <summary>Part 1: register the case list contract through DI, print its design card and a freshness block.</summary>
public static class ContractDemo
{
    public static async Task RunAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

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
    }
}
