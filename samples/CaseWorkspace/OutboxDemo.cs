using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Projections;
using ReadModelKit.Serialization;

namespace CaseWorkspace;

/// <summary>
/// Commands write the canonical case row and their events through the outbox in one transaction; a runner projects the events
/// into the case list; the command then waits until it can read its own write, and the API returns the freshness block.
/// </summary>
public static class OutboxDemo
{
    private const string Stream = "case-domain-events";

    public static async Task RunAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var setUp = dataSource.CreateCommand("""
            DROP TABLE IF EXISTS demo_case_file, demo_case_list;
            CREATE TABLE demo_case_file (tenant_id text, case_id int, title text, status text, assignee text, version bigint NOT NULL,
                                         PRIMARY KEY (tenant_id, case_id));
            CREATE TABLE demo_case_list (tenant_id text, case_id int, title text, status text, assignee text, version bigint NOT NULL,
                                         projected_at timestamptz NOT NULL, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id));
            """))
        {
            await setUp.ExecuteNonQueryAsync();
        }

        var projection = new CaseListProjection();
        var options = new NpgsqlReadModelOptions { Schema = "readmodelkit" };
        options.Map(projection.Contract.Name, new ReadModelTableMapping
        {
            Table = "demo_case_list",
            KeyColumns = ["tenant_id", "case_id"],
            ValueColumns = ["title", "status", "assignee"],
        });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [projection], TimeProvider.System);
        await store.InitializeAsync();

        // In an application this is the body of a BackgroundService: await runner.RunAsync(stoppingToken).
        var runner = new ProjectionRunner(store, projection.Contract.Name, new ProjectionRunnerOptions { NodeId = "case-workspace" });
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);

        await HandleAsync(dataSource, store, new CaseSummary("t1", 42, "Suspicious transfer", "Open", null));
        var position = await HandleAsync(dataSource, store, new CaseSummary("t1", 42, "Suspicious transfer", "Assigned", "rina"));
        Console.WriteLine($"Command 'assign case 42' committed; its position token is {position}.");

        var waited = Stopwatch.StartNew();
        await store.Freshness.WaitForPositionAsync(projection.Contract.Name, position, TimeSpan.FromSeconds(10));
        Console.WriteLine($"Read-your-writes wait returned after {waited.ElapsedMilliseconds} ms.");
        await using (var read = dataSource.CreateCommand("SELECT status, assignee, version FROM demo_case_list WHERE tenant_id = 't1' AND case_id = 42"))
        await using (var row = await read.ExecuteReaderAsync())
        {
            await row.ReadAsync();
            Console.WriteLine($"Case list row: status {row.GetString(0)}, assignee {row.GetString(1)}, version {row.GetInt64(2)}.");
        }

        Console.WriteLine("Freshness block returned with the case list:");
        Console.WriteLine(JsonSerializer.Serialize(await store.Freshness.GetAsync(projection.Contract.Name), ReadModelKitJsonContext.Default.FreshnessInfo));
        var health = await store.Health.EvaluateAsync(projection.Contract.Name);
        Console.WriteLine($"Health: {health.Health} ({health.Status.PendingEvents} pending, {health.Status.Partitions.Count} partition(s), owner {health.Status.Partitions[0].Owner}).");

        await stop.CancelAsync();
        await running;
    }

    /// <summary>A command handler: the state change and its event commit together or not at all.</summary>
    private static async Task<StreamPosition> HandleAsync(NpgsqlDataSource dataSource, NpgsqlReadModelStore store, CaseSummary command)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        long version;
        await using (var write = new NpgsqlCommand("""
            INSERT INTO demo_case_file AS c VALUES ($1, $2, $3, $4, $5, 1)
            ON CONFLICT (tenant_id, case_id) DO UPDATE SET title = $3, status = $4, assignee = $5, version = c.version + 1
            RETURNING version
            """, connection, transaction))
        {
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.Tenant });
            write.Parameters.Add(new NpgsqlParameter<int> { TypedValue = command.CaseId });
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.Title });
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = command.Status });
            write.Parameters.Add(new NpgsqlParameter { Value = (object?)command.Assignee ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            version = (long)(await write.ExecuteScalarAsync())!;
        }

        var position = await store.Outbox.AppendAsync(connection, transaction, Stream,
        [
            new EventEnvelope
            {
                EventId = Guid.NewGuid(),
                OrderingKey = $"{command.Tenant}/{command.CaseId}",
                Version = version,
                Type = "CaseChanged",
                OccurredAt = DateTimeOffset.UtcNow,
                Payload = JsonSerializer.SerializeToElement(command),
            },
        ]);
        await transaction.CommitAsync();
        return position;
    }

    private sealed record CaseSummary(string Tenant, int CaseId, string Title, string Status, string? Assignee);

    /// <summary>Projects the case summary each event carries into one case-list row.</summary>
    private sealed class CaseListProjection : IProjection
    {
        public ProjectionContract Contract { get; } = CaseListContract.Value with { Name = "case_list_outbox_demo", Source = new ProjectionSource(SourceKind.Outbox, Stream) };

        public IEnumerable<RowChange> Project(EventEnvelope envelope)
        {
            var summary = envelope.Payload.Deserialize<CaseSummary>()!;
            yield return RowChange.Upsert(new RowKey(summary.Tenant, summary.CaseId), envelope.Version, new Dictionary<string, object?>
            {
                ["title"] = summary.Title,
                ["status"] = summary.Status,
                ["assignee"] = summary.Assignee,
            });
        }
    }
}
