using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;

namespace CaseWorkspace;

/// <summary>
/// Part 2: the application writes its canonical tables and publishes case events; a broker delivers them out of order
/// and with duplicates; ReadModelKit applies them in batches (inbox + version guard + tombstones); a consumer restart
/// delivers the last messages again. At the end the read model must equal what the canonical tables say.
/// </summary>
public static class ApplyDemo
{
    private const int Steps = 4000;
    private const int BatchSize = 250;
    private const int RedeliveredAfterRestart = 600;

    public static async Task RunAsync(string connectionString)
    {
        Console.WriteLine();
        Console.WriteLine("Applying a case stream to case_list_read_model:");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var create = dataSource.CreateCommand(CaseWorkspaceSchema.CreateSql))
        {
            await create.ExecuteNonQueryAsync();
        }

        // The application: canonical writes and the events it publishes.
        var simulator = new CaseActivitySimulator(seed: 7);
        var events = await simulator.RunAsync(dataSource, Steps, stepsPerTransaction: 100);
        Console.WriteLine($"  application: {events.Count} events ({Summarize(events)}), canonical tables written in {Steps / 100} transactions");

        // ReadModelKit, wired the way an application host does it.
        var projection = new CaseListProjection();
        var services = new ServiceCollection();
        services.AddReadModelKit(kit => kit.AddProjection(projection))
                .UseNpgsql(dataSource, o =>
                {
                    o.Schema = CaseWorkspaceSchema.LibrarySchema;
                    o.Map(projection.Contract.Name, CaseListProjection.Mapping);
                });
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<NpgsqlReadModelStore>();
        await store.InitializeAsync();
        var applier = store.GetApplier(projection.Contract.Name);

        // The broker: out of order, duplicated; then a consumer restart delivers the tail again.
        var delivery = UnreliableDelivery.Scramble(events, seed: 11);
        var messages = delivery.Messages.Concat(delivery.Messages.Skip(delivery.Messages.Count - RedeliveredAfterRestart)).ToList();
        Console.WriteLine($"  broker: {messages.Count} messages = {events.Count} events + {delivery.Duplicates} duplicates + {RedeliveredAfterRestart} redelivered after a consumer restart; {delivery.OutOfOrder} events arrived after a later one");

        var totals = (Batches: 0, Received: 0, Applied: 0, RowsWritten: 0, DeadLettered: 0);
        foreach (var batch in messages.Chunk(BatchSize))
        {
            var result = await applier.ApplyAsync(batch);
            totals = (totals.Batches + 1, totals.Received + result.Received, totals.Applied + result.Applied, totals.RowsWritten + result.RowsWritten, totals.DeadLettered + result.DeadLettered + result.Parked);
        }

        // Rows written < applied: within a batch only the newest version of a case is written, and older versions arriving late write nothing.
        Console.WriteLine($"  ReadModelKit: {totals.Batches} batches of up to {BatchSize}; received {totals.Received}, applied {totals.Applied}, ignored as duplicates {totals.Received - totals.Applied - totals.DeadLettered}, dead-lettered {totals.DeadLettered}, rows written {totals.RowsWritten}");

        await using var compare = dataSource.CreateCommand(CaseWorkspaceSchema.CompareSql);
        await using var reader = await compare.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (canonical, live, tombstones, differences) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        var equal = differences == 0 && tombstones == simulator.DeletedCases && totals.Applied == events.Count;
        Console.WriteLine($"  canonical tables: {canonical} cases, {simulator.DeletedCases} deleted; read model: {live} live rows + {tombstones} tombstones; rows that differ: {differences}");
        Console.WriteLine($"  equal: {(equal ? "true" : "false")}");
        if (!equal)
        {
            throw new InvalidOperationException("The read model does not equal what the canonical tables say; see the counts above.");
        }
    }

    private static string Summarize(IReadOnlyList<EventEnvelope> events) =>
        string.Join(", ", events.GroupBy(e => e.Type).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {g.Key}"));
}
