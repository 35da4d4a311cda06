using ReadModelKit.Changes;
using ReadModelKit.Events;
using ReadModelKit.Projections;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// The workload already projected into typed columns: what the raw COPY ceiling writes. Computed once, outside the
/// measurement, so the ceiling carries no projection or JSON cost (the library path and the per-event baseline do).
/// </summary>
public sealed class ProjectedRows
{
    private ProjectedRows(int count)
    {
        EventIds = new Guid[count];
        Tenants = new string[count];
        CaseIds = new int[count];
        Statuses = new string?[count];
        Assignees = new string?[count];
        OpenTasks = new int?[count];
        Versions = new long[count];
    }

    public Guid[] EventIds { get; }

    public string[] Tenants { get; }

    public int[] CaseIds { get; }

    public string?[] Statuses { get; }

    public string?[] Assignees { get; }

    public int?[] OpenTasks { get; }

    public long[] Versions { get; }

    public int Count => EventIds.Length;

    /// <summary>Projects every event with <paramref name="projection"/> (each event yields exactly one upsert).</summary>
    public static ProjectedRows From(IProjection projection, IReadOnlyList<EventEnvelope> events)
    {
        var rows = new ProjectedRows(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var change = projection.Project(events[i]).Single();
            if (change.Kind != RowChangeKind.Upsert)
            {
                throw new InvalidOperationException("The benchmark workload holds upserts only.");
            }

            rows.EventIds[i] = events[i].EventId;
            rows.Tenants[i] = (string)change.Key[0];
            rows.CaseIds[i] = (int)change.Key[1];
            rows.Statuses[i] = (string?)change.Values["status"];
            rows.Assignees[i] = (string?)change.Values["assignee"];
            rows.OpenTasks[i] = (int?)change.Values["open_task_count"];
            rows.Versions[i] = change.Version;
        }

        return rows;
    }
}
