using System.Text.Json;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// The projection every apply benchmark runs (the library path and the per-event baseline alike):
/// <c>CaseChanged</c> {tenant, case, status, assignee, openTasks} upserts one <c>case_list</c> row.
/// </summary>
public sealed class BenchCaseProjection(IdempotencyMode mode) : IProjection
{
    /// <summary>The read-model table: composite key, three value columns, version, projected_at, tombstone.</summary>
    public const string TableSql = """
        CREATE TABLE {0} (
            tenant_id       text        NOT NULL,
            case_id         integer     NOT NULL,
            status          text,
            assignee        text,
            open_task_count integer,
            version         bigint      NOT NULL,
            projected_at    timestamptz NOT NULL,
            deleted_at      timestamptz,
            PRIMARY KEY (tenant_id, case_id)
        )
        """;

    public ProjectionContract Contract { get; } = new()
    {
        Name = "bench_case_list",
        Source = new ProjectionSource(mode == IdempotencyMode.Checkpoint ? SourceKind.Outbox : SourceKind.BrokerTopic, "case-events"),
        OrderingScope = ["tenant_id", "case_id"],
        Idempotency = mode,
        Tenancy = TenantScoping.ByTenantId,
    };

    /// <summary>The mapping of <see cref="TableSql"/>.</summary>
    public static ReadModelTableMapping Mapping(string schema, string table) => new()
    {
        Schema = schema,
        Table = table,
        KeyColumns = ["tenant_id", "case_id"],
        ValueColumns = ["status", "assignee", "open_task_count"],
    };

    public IEnumerable<RowChange> Project(EventEnvelope envelope)
    {
        var payload = envelope.Payload;
        var key = new RowKey(payload.GetProperty("tenant").GetString()!, payload.GetProperty("case").GetInt32());
        return
        [
            RowChange.Upsert(key, envelope.Version, new Dictionary<string, object?>(3)
            {
                ["status"] = payload.GetProperty("status").GetString(),
                ["assignee"] = payload.TryGetProperty("assignee", out var assignee) && assignee.ValueKind == JsonValueKind.String ? assignee.GetString() : null,
                ["open_task_count"] = payload.GetProperty("openTasks").GetInt32(),
            }),
        ];
    }
}
