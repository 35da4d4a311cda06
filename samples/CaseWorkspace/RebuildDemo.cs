using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Projections;

namespace CaseWorkspace;

/// <summary>
/// Rebuild end to end while commands flow: the case list (v1) is rebuilt into v2, which appends a <c>priority</c> column; the gate's
/// report; a cutover while a reader loop with a prepared statement queries the stable name (its figures); a rollback; a final cutover
/// and the retirement of v1. Run it from the sample's entry point with <c>await RebuildDemo.RunAsync(server.ConnectionString);</c>.
/// </summary>
public static class RebuildDemo
{
    private const string Projection = "rebuild_demo_case_list";

    public static async Task RunAsync(string connectionString)
    {
        Console.WriteLine();
        Console.WriteLine("== Rebuild demo ==");
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = "rebuild_demo" }.ConnectionString);
        await using (var reset = NpgsqlDataSource.Create(connectionString))
        {
            await ExecuteAsync(reset, "DROP SCHEMA IF EXISTS rebuild_demo CASCADE; DROP SCHEMA IF EXISTS rebuild_demo_rmk CASCADE; CREATE SCHEMA rebuild_demo");
        }

        await ExecuteAsync(dataSource, """
            CREATE TABLE cases (tenant_id text, case_id int, status text NOT NULL, version bigint NOT NULL, PRIMARY KEY (tenant_id, case_id));
            CREATE TABLE case_list (tenant_id text, case_id int, status text, version bigint NOT NULL,
                                    projected_at timestamptz NOT NULL, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id));
            INSERT INTO cases SELECT 'tenant-' || (c % 3), c, 'OPEN', 1 FROM generate_series(1, 3000) AS c;
            INSERT INTO case_list SELECT tenant_id, case_id, status, version, now(), NULL FROM cases;
            ANALYZE cases;
            """);
        var options = new NpgsqlReadModelOptions { Schema = "rebuild_demo_rmk" };
        options.Map(Projection, new ReadModelTableMapping
        {
            Table = "case_list",
            KeyColumns = ["tenant_id", "case_id"],
            ValueColumns = ["status"],
            // The commute rule: the recompute query returns the source's version, deletes are tombstones (deleted_at).
            RecomputeSql = "SELECT tenant_id, case_id, status, version FROM cases",
            RecomputeReturnsVersion = true,
        });
        options.Rebuild.ChunkSize = 500;
        options.Rebuild.GracePeriod = TimeSpan.Zero;
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new CaseStatusProjection()], TimeProvider.System);
        await store.InitializeAsync();

        // Commands keep flowing: each changes a case in the canonical table and hands its event to the applier.
        using var stop = new CancellationTokenSource();
        var commands = Task.Run(async () =>
        {
            var random = new Random(7);
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                var caseId = random.Next(1, 3001);
                var tenant = "tenant-" + (caseId % 3);
                var status = random.Next(2) == 0 ? "ASSIGNED" : "CLOSED";
                await using var command = dataSource.CreateCommand("UPDATE cases SET status = $3, version = version + 1 WHERE tenant_id = $1 AND case_id = $2 RETURNING version");
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = caseId });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
                var version = (long)(await command.ExecuteScalarAsync())!;
                await store.GetApplier(Projection).ApplyAsync([CaseStatusChanged(tenant, caseId, version, status)]);
                count++;
            }

            return count;
        });

        var run = await store.Rebuilds.StartAsync(Projection, "CREATE TABLE {0} (LIKE case_list_v1 INCLUDING ALL, priority int NOT NULL DEFAULT 3)");
        Console.WriteLine($"Planned rebuild run {run.Id}: v{run.FromVersion} -> v{run.ToVersion} (appends a priority column), about {run.EstimatedRows} row(s); v{run.ToVersion} receives live writes from now on.");
        run = await store.Rebuilds.RunAsync(Projection, new ConsoleProgress());
        while (run.State != RebuildRunState.Ready)
        {
            // With commands in flight the gate can catch a case between its source commit and its event: validate again.
            Console.WriteLine("Gate not passed yet, validating again: " + run.GateReport);
            run = await store.Rebuilds.RunAsync(Projection);
        }

        Console.WriteLine(run.GateReport);

        var reads = 0L;
        var errors = 0;
        var slowest = 0.0;
        var reader = Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var query = new NpgsqlCommand("SELECT status, version FROM case_list WHERE tenant_id = $1 AND case_id = $2", connection);
            query.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "tenant-1" });
            query.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 1 });
            await query.PrepareAsync();
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await query.ExecuteScalarAsync();
                    reads++;
                }
                catch (NpgsqlException)
                {
                    errors++;
                }

                slowest = Math.Max(slowest, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });

        await store.Rebuilds.CutoverAsync(Projection);
        Console.WriteLine($"Cut over: case_list now serves v{run.ToVersion}; priority of case 1 is {await ScalarAsync(dataSource, "SELECT priority FROM case_list WHERE case_id = 1")}.");
        await store.Rebuilds.RollbackAsync(Projection);
        Console.WriteLine($"Rolled back: case_list serves v{run.FromVersion} again (it was fed all along); priority reads {await ScalarAsync(dataSource, "SELECT coalesce(priority::text, 'NULL') FROM case_list WHERE case_id = 1")}.");

        run = await store.Rebuilds.StartAsync(Projection, "CREATE TABLE {0} (LIKE case_list_v1 INCLUDING ALL, priority int NOT NULL DEFAULT 3)");
        while ((run = await store.Rebuilds.RunAsync(Projection)).State != RebuildRunState.Ready)
        {
        }

        await store.Rebuilds.CutoverAsync(Projection);
        var retired = await store.Rebuilds.RetireAsync(Projection);
        await stop.CancelAsync();
        var applied = await commands;
        await reader;
        Console.WriteLine($"Cut over to v{retired.ToVersion} and retired v{retired.FromVersion}. Meanwhile {applied} command(s) applied; the reader loop ran {reads} prepared queries with {errors} error(s), slowest {slowest:0.0} ms.");

        var differences = await ScalarAsync(dataSource, """
            SELECT count(*) FROM cases c FULL JOIN case_list r USING (tenant_id, case_id)
            WHERE r.deleted_at IS NULL AND (c.case_id IS NULL OR r.case_id IS NULL OR c.status IS DISTINCT FROM r.status OR c.version IS DISTINCT FROM r.version)
            """);
        Console.WriteLine(differences == "0" ? "The rebuilt read model agrees with the canonical table." : $"{differences} row(s) differ!");
        if (differences != "0" || errors > 0)
        {
            throw new InvalidOperationException("The rebuild demo ended with differences or reader errors.");
        }
    }

    private static EventEnvelope CaseStatusChanged(string tenant, int caseId, long version, string status) => new()
    {
        EventId = Guid.NewGuid(),
        OrderingKey = $"{tenant}/{caseId}",
        Version = version,
        Type = "CaseStatusChanged",
        OccurredAt = DateTimeOffset.UtcNow,
        Payload = JsonSerializer.SerializeToElement(new { tenant, caseId, status }),
    };

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private sealed class ConsoleProgress : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) =>
            Console.WriteLine($"  backfill: {value.RowsDone}/{value.EstimatedTotal} row(s), {value.RowsPerSecond:0} rows/s, ETA {value.EstimatedRemaining?.TotalSeconds:0.0} s ({value.State})");
    }

    /// <summary>An event carries the case's new status at the source's version.</summary>
    private sealed class CaseStatusProjection : IProjection
    {
        public ProjectionContract Contract { get; } = CaseListContract.Value with
        {
            Name = Projection,
            Source = new ProjectionSource(SourceKind.BrokerTopic, "case-status"),
            Rebuild = RebuildMethod.BackfillFromCanonicalTables,
            PiiFields = [],
        };

        public IEnumerable<RowChange> Project(EventEnvelope envelope) =>
        [
            RowChange.Upsert(
                new RowKey(envelope.Payload.GetProperty("tenant").GetString()!, envelope.Payload.GetProperty("caseId").GetInt32()),
                envelope.Version,
                new Dictionary<string, object?> { ["status"] = envelope.Payload.GetProperty("status").GetString() }),
        ];
    }
}
