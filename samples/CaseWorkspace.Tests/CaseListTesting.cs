using System.Text.Json;
using CaseWorkspace;
using ReadModelKit.Events;
using ReadModelKit.Testing.Harness;

namespace CaseWorkspace.Tests;

/// <summary>What the tests need to run the sample's case list projection on a throwaway schema, and its events.</summary>
public static class CaseListTesting
{
    /// <summary>A fresh projection per application, the sample's own mapping, and the sample's read-model table.</summary>
    public static ProjectionSetup Setup { get; } = new()
    {
        Create = () => new CaseListProjection(),
        Mapping = CaseListProjection.Mapping,
        TableSql = ReadModelTableSql(),
    };

    /// <summary>
    /// The sample's <c>CREATE TABLE</c> of the read model, taken from <see cref="CaseWorkspaceSchema.CreateSql"/> (so the test uses
    /// exactly the table the sample creates) with its schema prefix removed: the helpers create it in a throwaway schema.
    /// </summary>
    private static string ReadModelTableSql()
    {
        var create = $"CREATE TABLE {CaseWorkspaceSchema.Schema}.{CaseWorkspaceSchema.ReadModelTable} (";
        var sql = CaseWorkspaceSchema.CreateSql;
        var start = sql.IndexOf(create, StringComparison.Ordinal);
        var end = sql.IndexOf(");", start, StringComparison.Ordinal) + 2;
        return sql[start..end].Replace(CaseWorkspaceSchema.Schema + ".", "", StringComparison.Ordinal);
    }

    /// <summary>A case event as the application publishes it: the case's summary after the change.</summary>
    public static EventEnvelope Event(string type, int caseId, long version, string status, string? assignee = null, int openTasks = 0, string tenant = "acme") => new()
    {
        EventId = Guid.NewGuid(),
        OrderingKey = $"{tenant}/{caseId}",
        Version = version,
        Type = type,
        OccurredAt = new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero).AddMinutes(version),
        Payload = JsonSerializer.SerializeToElement(new { tenantId = tenant, caseId, status, assignee, openTaskCount = openTasks }),
    };

    /// <summary>One case's life: opened, assigned, a task added and completed, closed, deleted. The law generator varies the rest.</summary>
    public static EventEnvelope[] Examples { get; } =
    [
        Event(CaseEventTypes.Opened, 1, 1, "open"),
        Event(CaseEventTypes.Assigned, 1, 2, "in_progress", "ana"),
        Event(CaseEventTypes.TaskAdded, 1, 3, "in_progress", "ana", openTasks: 1),
        Event(CaseEventTypes.TaskCompleted, 1, 4, "in_progress", "ana", openTasks: 0),
        Event(CaseEventTypes.Closed, 1, 5, "closed", "ana"),
        Event(CaseEventTypes.Deleted, 1, 6, "closed", "ana"),
    ];
}
