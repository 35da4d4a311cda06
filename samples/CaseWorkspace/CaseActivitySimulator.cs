using System.Text.Json;
using Npgsql;
using ReadModelKit.Events;

namespace CaseWorkspace;

/// <summary>
/// Plays the application: opens cases, assigns them, adds and completes tasks, closes and deletes cases.
/// Each step writes the canonical tables (cases, tasks, assignments) and records the event it publishes,
/// with the case's version after the change and its summary (status, assignee, open task count).
/// Seeded, so a run is repeatable.
/// </summary>
public sealed class CaseActivitySimulator(int seed)
{
    private static readonly string[] Tenants = ["acme", "globex", "initech"];
    private static readonly string[] Agents = ["ana", "bayu", "chen", "dewi", "emeka", "farah"];
    private static readonly string[] Parties = ["Siti Rahma", "John Okafor", "Maria Lopez", "Wei Zhang", "Aisha Bello"];
    private static readonly string[] TaskTitles = ["call customer", "request documents", "verify identity", "check transactions", "write summary"];

    private readonly Random _random = new(seed);
    private readonly List<CaseState> _cases = [];
    private readonly List<EventEnvelope> _events = [];
    private readonly Dictionary<string, int> _nextCaseId = [];
    private DateTimeOffset _clock = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Cases deleted so far.</summary>
    public int DeletedCases { get; private set; }

    /// <summary>Runs <paramref name="steps"/> steps, writing the canonical tables in transactions of <paramref name="stepsPerTransaction"/> steps, and returns the published events in commit order.</summary>
    public async Task<IReadOnlyList<EventEnvelope>> RunAsync(NpgsqlDataSource dataSource, int steps, int stepsPerTransaction)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var done = 0; done < steps; done += stepsPerTransaction)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, transaction);
            for (var i = 0; i < stepsPerTransaction && done + i < steps; i++)
            {
                Step(batch);
            }

            await batch.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        return _events;
    }

    private void Step(NpgsqlBatch sql)
    {
        _clock = _clock.AddSeconds(_random.Next(1, 90));
        var live = _cases.Where(c => !c.Deleted).ToList();
        var open = live.Where(c => c.Status != "closed").ToList();
        var roll = _random.NextDouble();
        if (open.Count < 20 || roll < 0.15)
        {
            Open(sql);
        }
        else if (roll < 0.35)
        {
            Assign(sql, Pick(open));
        }
        else if (roll < 0.60)
        {
            AddTask(sql, Pick(open));
        }
        else if (roll < 0.82 && open.Where(c => c.OpenTasks.Count > 0).ToList() is { Count: > 0 } withTasks)
        {
            CompleteTask(sql, Pick(withTasks));
        }
        else if (roll < 0.93 && open.Where(c => c.OpenTasks.Count == 0 && c.Assignee is not null).ToList() is { Count: > 0 } closable)
        {
            Close(sql, Pick(closable));
        }
        else if (live.Where(c => c.Status == "closed").ToList() is { Count: > 0 } closed)
        {
            Delete(sql, Pick(closed));
        }
        else
        {
            Open(sql);
        }
    }

    private void Open(NpgsqlBatch sql)
    {
        var tenant = Tenants[_random.Next(Tenants.Length)];
        var id = _nextCaseId[tenant] = _nextCaseId.GetValueOrDefault(tenant, 1000) + 1;
        var state = new CaseState(tenant, id) { Status = "open", PartyDisplayName = Parties[id % Parties.Length] };
        _cases.Add(state);
        var title = $"Case {id}: disputed payment";
        Add(sql, "INSERT INTO case_workspace.cases (tenant_id, case_id, title, status, party_display_name, opened_at, version) VALUES ($1, $2, $3, 'open', $4, $5, $6)",
            tenant, id, title, state.PartyDisplayName, _clock.UtcDateTime, state.Version + 1);
        Publish(state, CaseEventTypes.Opened, new { title });
    }

    private void Assign(NpgsqlBatch sql, CaseState state)
    {
        state.Assignee = Agents[_random.Next(Agents.Length)];
        state.Status = "in_progress";
        Add(sql, """
            INSERT INTO case_workspace.assignments (tenant_id, case_id, assignee, assigned_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (tenant_id, case_id) DO UPDATE SET assignee = EXCLUDED.assignee, assigned_at = EXCLUDED.assigned_at
            """, state.Tenant, state.CaseId, state.Assignee, _clock.UtcDateTime);
        Add(sql, "UPDATE case_workspace.cases SET status = 'in_progress', version = $3 WHERE tenant_id = $1 AND case_id = $2", state.Tenant, state.CaseId, state.Version + 1);
        Publish(state, CaseEventTypes.Assigned, new { assignee = state.Assignee });
    }

    private void AddTask(NpgsqlBatch sql, CaseState state)
    {
        var taskId = ++state.TaskCount;
        var title = TaskTitles[_random.Next(TaskTitles.Length)];
        state.OpenTasks.Add(taskId);
        Add(sql, "INSERT INTO case_workspace.tasks (tenant_id, case_id, task_id, title) VALUES ($1, $2, $3, $4)", state.Tenant, state.CaseId, taskId, title);
        Add(sql, "UPDATE case_workspace.cases SET version = $3 WHERE tenant_id = $1 AND case_id = $2", state.Tenant, state.CaseId, state.Version + 1);
        Publish(state, CaseEventTypes.TaskAdded, new { taskId, title });
    }

    private void CompleteTask(NpgsqlBatch sql, CaseState state)
    {
        var taskId = state.OpenTasks[_random.Next(state.OpenTasks.Count)];
        state.OpenTasks.Remove(taskId);
        Add(sql, "UPDATE case_workspace.tasks SET completed_at = $4 WHERE tenant_id = $1 AND case_id = $2 AND task_id = $3", state.Tenant, state.CaseId, taskId, _clock.UtcDateTime);
        Add(sql, "UPDATE case_workspace.cases SET version = $3 WHERE tenant_id = $1 AND case_id = $2", state.Tenant, state.CaseId, state.Version + 1);
        Publish(state, CaseEventTypes.TaskCompleted, new { taskId });
    }

    private void Close(NpgsqlBatch sql, CaseState state)
    {
        state.Status = "closed";
        Add(sql, "UPDATE case_workspace.cases SET status = 'closed', closed_at = $3, version = $4 WHERE tenant_id = $1 AND case_id = $2", state.Tenant, state.CaseId, _clock.UtcDateTime, state.Version + 1);
        Publish(state, CaseEventTypes.Closed, new { resolution = "resolved" });
    }

    private void Delete(NpgsqlBatch sql, CaseState state)
    {
        // Retention: closed cases are removed from the canonical tables (tasks and assignment cascade).
        state.Deleted = true;
        DeletedCases++;
        Add(sql, "DELETE FROM case_workspace.cases WHERE tenant_id = $1 AND case_id = $2", state.Tenant, state.CaseId);
        Publish(state, CaseEventTypes.Deleted, new { reason = "retention" });
    }

    /// <summary>Records the event: the case's next version, the next stream position, and the summary after the change.</summary>
    private void Publish(CaseState state, string type, object details)
    {
        state.Version++;
        var payload = new Dictionary<string, object?>
        {
            ["tenantId"] = state.Tenant,
            ["caseId"] = state.CaseId,
            ["status"] = state.Status,
            ["assignee"] = state.Assignee,
            ["openTaskCount"] = state.OpenTasks.Count,
            ["partyDisplayName"] = state.PartyDisplayName,
            ["details"] = details,
        };
        _events.Add(new EventEnvelope
        {
            EventId = Guid.CreateVersion7(_clock),
            OrderingKey = $"{state.Tenant}/{state.CaseId}",
            Version = state.Version,
            Position = new StreamPosition(_events.Count + 1),
            Type = type,
            OccurredAt = _clock,
            Payload = JsonSerializer.SerializeToElement(payload),
        });
    }

    private T Pick<T>(List<T> items) => items[_random.Next(items.Count)];

    private static void Add(NpgsqlBatch batch, string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        batch.BatchCommands.Add(command);
    }

    private sealed class CaseState(string tenant, int caseId)
    {
        public string Tenant { get; } = tenant;

        public int CaseId { get; } = caseId;

        public long Version { get; set; }

        public string Status { get; set; } = "open";

        public string? Assignee { get; set; }

        public string PartyDisplayName { get; init; } = "";

        public List<int> OpenTasks { get; } = [];

        public int TaskCount { get; set; }

        public bool Deleted { get; set; }
    }
}
