using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Npgsql;

namespace CaseWorkspace;

/// <summary>
/// Part 5: the hosted node. The application writes cases and appends their events to the outbox through the contract (no
/// hand-built ordering keys); the hosted runner projects them; then an operator uses the command line: status, pause and resume, drift check
/// (after a row is corrupted behind the library's back), drift repair, dead letters.
/// </summary>
public static class HostedDemo
{
    /// <summary>The id of the event the demo dead-letters on purpose (an event type the projection does not know).</summary>
    public static readonly Guid PoisonEventId = new("0b5e55ed-0000-4000-8000-000000000001");

    private const int Steps = 1200;

    public static async Task RunAsync(string connectionString)
    {
        Console.WriteLine();
        Console.WriteLine("The hosted node and the operations command line:");
        using var host = CaseWorkspaceHost.Build(connectionString);
        await SeedAsync(host, connectionString, Console.WriteLine);

        await CommandAsync(host, ReadModelKitExitCodes.Ok, "status");
        await CommandAsync(host, ReadModelKitExitCodes.Ok, "pause", CaseListContract.Value.Name, "--partition", "1");
        await CommandAsync(host, ReadModelKitExitCodes.Ok, "status", "--projection", CaseListContract.Value.Name);
        await CommandAsync(host, ReadModelKitExitCodes.Ok, "resume", CaseListContract.Value.Name);
        await CommandAsync(host, ReadModelKitExitCodes.DriftFound, "drift", "check");
        await CommandAsync(host, ReadModelKitExitCodes.Ok, "drift", "repair", "--projection", CaseListContract.Value.Name);
        await CommandAsync(host, ReadModelKitExitCodes.Ok, "drift", "check", "--projection", CaseListContract.Value.Name, "--tenant", "acme");
        await CommandAsync(host, ReadModelKitExitCodes.Ok, "dlq", "list");
    }

    /// <summary>
    /// Fills a fresh case workspace through the running host: canonical writes, their events through the outbox, one event the
    /// projection cannot handle (dead-lettered), then one read-model row corrupted so a drift check has something to find.
    /// </summary>
    public static async Task SeedAsync(IHost host, string connectionString, Action<string> log)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var create = dataSource.CreateCommand(CaseWorkspaceSchema.CreateSql))
        {
            await create.ExecuteNonQueryAsync();
        }

        var simulator = new CaseActivitySimulator(seed: 7);
        var events = await simulator.RunAsync(dataSource, Steps, stepsPerTransaction: 100);
        await host.StartAsync();
        var store = host.Services.GetRequiredService<NpgsqlReadModelStore>();
        var caseList = new ContractEvents(CaseListContract.Value);
        var poisonKey = events[0];
        var poison = caseList.Create("CaseEscalated", poisonKey.Payload, version: events.Where(e => e.OrderingKey == poisonKey.OrderingKey).Max(e => e.Version) + 1, DateTimeOffset.UtcNow, PoisonEventId);

        var position = StreamPosition.Start;
        foreach (var chunk in events.Append(poison).Chunk(100))
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            position = await store.Outbox.AppendAsync(connection, transaction, caseList, chunk);
            await transaction.CommitAsync();
        }

        await store.Freshness.WaitForPositionAsync(CaseListContract.Value.Name, position, TimeSpan.FromSeconds(60));
        log($"  {events.Count + 1} events appended through the outbox (keys derived from the ordering scope) and projected by the hosted runner; event {PoisonEventId} (CaseEscalated) was dead-lettered");
        await host.StopAsync();

        await using var corrupt = dataSource.CreateCommand($"""
            UPDATE {CaseWorkspaceSchema.Schema}.{CaseWorkspaceSchema.ReadModelTable} SET open_task_count = open_task_count + 5
            WHERE (tenant_id, case_id) = (SELECT tenant_id, case_id FROM {CaseWorkspaceSchema.Schema}.{CaseWorkspaceSchema.ReadModelTable}
                                          WHERE deleted_at IS NULL AND tenant_id = 'globex' ORDER BY case_id LIMIT 1)
            """);
        log($"  {await corrupt.ExecuteNonQueryAsync()} read-model row of tenant globex corrupted behind the library's back");
    }

    private static async Task CommandAsync(IHost host, int expected, params string[] args)
    {
        Console.WriteLine($"$ dotnet run --project samples/CaseWorkspace -- {string.Join(' ', args)}");
        var code = await host.RunReadModelKitCommandsAsync(args);
        Console.WriteLine($"exit code {code}");
        if (code != expected)
        {
            throw new InvalidOperationException($"'{string.Join(' ', args)}' exited with {code}, expected {expected}.");
        }
    }
}
