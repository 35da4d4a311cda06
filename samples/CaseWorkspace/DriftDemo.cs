using System.Text.Json;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;

namespace CaseWorkspace;

/// <summary>
/// Drift reconciliation end to end: a tiny canonical schema (cases, tasks) and a case-list read model recomputed from it; then three
/// rows are corrupted behind the library's back (a manual UPDATE, a DELETE, a stray INSERT), a check finds and records them, repair
/// recomputes them from the source, and a second check is clean.
/// </summary>
public static class DriftDemo
{
    private const string Projection = "drift_demo_case_list";

    public static async Task RunAsync(string connectionString)
    {
        Console.WriteLine();
        Console.WriteLine("== Drift demo ==");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ExecuteAsync(dataSource, """
            DROP SCHEMA IF EXISTS drift_demo CASCADE;
            DROP SCHEMA IF EXISTS drift_demo_rmk CASCADE;
            CREATE SCHEMA drift_demo;
            CREATE TABLE drift_demo.cases (tenant_id text, case_id int, title text NOT NULL, status text NOT NULL, PRIMARY KEY (tenant_id, case_id));
            CREATE TABLE drift_demo.tasks (tenant_id text, case_id int, task_id int, status text NOT NULL, PRIMARY KEY (tenant_id, case_id, task_id));
            CREATE TABLE drift_demo.case_list (
                tenant_id text, case_id int, title text, status text, open_tasks int,
                version bigint NOT NULL, projected_at timestamptz NOT NULL, deleted_at timestamptz,
                PRIMARY KEY (tenant_id, case_id));
            INSERT INTO drift_demo.cases
            SELECT 'tenant-' || (c % 3), c, 'Case ' || c, (ARRAY['OPEN', 'ASSIGNED', 'CLOSED'])[1 + c % 3] FROM generate_series(1, 60) AS c;
            INSERT INTO drift_demo.tasks
            SELECT 'tenant-' || (c % 3), c, t, CASE WHEN t % 2 = 0 THEN 'DONE' ELSE 'OPEN' END FROM generate_series(1, 60) AS c, generate_series(1, c % 4) AS t;
            """);

        var options = new NpgsqlReadModelOptions { Schema = "drift_demo_rmk" };
        options.Map(Projection, new ReadModelTableMapping
        {
            Schema = "drift_demo",
            Table = "case_list",
            KeyColumns = ["tenant_id", "case_id"],
            ValueColumns = ["title", "status", "open_tasks"],
            // The expected state: what each read-model row should hold, computed from the canonical tables.
            RecomputeSql = """
                SELECT c.tenant_id, c.case_id, c.title, c.status,
                       (SELECT count(*) FROM drift_demo.tasks t
                        WHERE t.tenant_id = c.tenant_id AND t.case_id = c.case_id AND t.status = 'OPEN')::int AS open_tasks
                FROM drift_demo.cases c
                """,
        });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [new CaseChangedProjection()], TimeProvider.System);
        await store.InitializeAsync();

        // Plan the recompute query once at start-up (no row is read): a typo or a missing table fails here, not in the nightly check.
        await store.Drift.ValidateAsync();

        // Feed the projection: each CaseChanged event asks for its case to be recomputed from the canonical tables.
        var events = Enumerable.Range(1, 60).Select(c => CaseChanged("tenant-" + (c % 3), c, position: c)).ToList();
        var applied = await store.GetApplier(Projection).ApplyAsync(events);
        Console.WriteLine($"Projected {applied.RowsWritten} case row(s) from the canonical tables.");

        // Someone "fixes" data by hand, behind the library's back.
        await ExecuteAsync(dataSource, """
            UPDATE drift_demo.case_list SET status = 'CLOSED' WHERE tenant_id = 'tenant-1' AND case_id = 7;
            DELETE FROM drift_demo.case_list WHERE tenant_id = 'tenant-2' AND case_id = 11;
            INSERT INTO drift_demo.case_list VALUES ('tenant-9', 999, 'Stray row', 'OPEN', 0, 1, now(), NULL);
            """);
        Console.WriteLine("Corrupted three rows by hand: an UPDATE, a DELETE and a stray INSERT.");

        var report = await store.Drift.CheckAsync(Projection);
        Console.WriteLine(report);

        var repaired = await store.Drift.RepairAsync(report, new DriftRepairOptions { SmallDriftKeys = 10 });
        Console.WriteLine($"Repaired {repaired.KeysRepaired} key(s): {repaired.RowsWritten} row(s) written, {repaired.IncidentsClosed} incident(s) closed.");

        var again = await store.Drift.CheckAsync(Projection);
        Console.WriteLine(again);
        Console.WriteLine(again.Clean ? "The read model agrees with its source again." : "Still drifted!");
    }

    private static EventEnvelope CaseChanged(string tenant, int caseId, long position) => new()
    {
        EventId = Guid.NewGuid(),
        OrderingKey = $"{tenant}/{caseId}",
        Version = position,
        Position = new StreamPosition(position),
        Type = "CaseChanged",
        OccurredAt = DateTimeOffset.UtcNow,
        Payload = JsonSerializer.SerializeToElement(new { tenant, caseId }),
    };

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A state-sourced projection: an event only names the case whose row must be recomputed.</summary>
    private sealed class CaseChangedProjection : IProjection
    {
        public ProjectionContract Contract { get; } = CaseListContract.Value with
        {
            Name = Projection,
            Source = new ProjectionSource(SourceKind.CanonicalTables, "drift_demo.cases, drift_demo.tasks"),
            PiiFields = [],
        };

        public IEnumerable<RowChange> Project(EventEnvelope envelope) =>
            [RowChange.Recompute(new RowKey(envelope.Payload.GetProperty("tenant").GetString()!, envelope.Payload.GetProperty("caseId").GetInt32()))];
    }
}
