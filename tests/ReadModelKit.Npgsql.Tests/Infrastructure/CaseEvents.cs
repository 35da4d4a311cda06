using System.Text.Json;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>
/// A small case-list projection for the tests: <c>CaseUpserted</c> {tenant, case, status, title} writes a row,
/// <c>CaseDeleted</c> tombstones it, <c>Poison</c> always throws, <c>Flaky</c> throws until <see cref="FailuresLeft"/> runs out.
/// </summary>
public sealed class CaseListProjection(ProjectionContract contract) : IProjection
{
    public const string TableSql = """
        CREATE TABLE {0} (
            tenant_id    text        NOT NULL,
            case_id      integer     NOT NULL,
            status       text,
            title        text,
            version      bigint      NOT NULL,
            projected_at timestamptz NOT NULL,
            deleted_at   timestamptz,
            PRIMARY KEY (tenant_id, case_id)
        )
        """;

    public ProjectionContract Contract { get; } = contract;

    /// <summary>Event types that throw (poison) until removed.</summary>
    public HashSet<string> Broken { get; } = ["Poison"];

    /// <summary>How many more times a Flaky event throws.</summary>
    public int FailuresLeft { get; set; }

    public static ProjectionContract ContractFor(string name, IdempotencyMode mode, FailurePolicy policy = FailurePolicy.DeadLetterAndContinue) => new()
    {
        Name = name,
        Source = new ProjectionSource(mode == IdempotencyMode.Checkpoint ? SourceKind.Outbox : SourceKind.BrokerTopic, "case-events"),
        OrderingScope = ["tenant_id", "case_id"],
        Idempotency = mode,
        FailurePolicy = policy,
        Tenancy = TenantScoping.ByTenantId,
    };

    public static ReadModelTableMapping Mapping(string table) => new()
    {
        Table = table,
        KeyColumns = ["tenant_id", "case_id"],
        ValueColumns = ["status", "title"],
    };

    public IEnumerable<RowChange> Project(EventEnvelope envelope)
    {
        if (Broken.Contains(envelope.Type))
        {
            throw new InvalidOperationException($"{envelope.Type} handler failed");
        }

        if (envelope.Type == "Flaky" && FailuresLeft-- > 0)
        {
            throw new TimeoutException("flaky dependency");
        }

        var payload = envelope.Payload;
        if (!payload.TryGetProperty("tenant", out var tenant) || !payload.TryGetProperty("case", out var caseId))
        {
            throw new MalformedPayloadException(Contract.Name, envelope.Type, envelope.EventId, "field 'tenant' or 'case' is missing");
        }

        var key = new RowKey(tenant.GetString()!, caseId.GetInt32());
        return envelope.Type switch
        {
            "CaseUpserted" or "Flaky" => [RowChange.Upsert(key, envelope.Version, new Dictionary<string, object?>
            {
                ["status"] = payload.GetProperty("status").GetString(),
                ["title"] = payload.TryGetProperty("title", out var title) && title.ValueKind != JsonValueKind.Null ? title.GetString() : null,
            })],
            "CaseDeleted" => [RowChange.Tombstone(key, envelope.Version)],
            "Incomplete" => [RowChange.Upsert(key, envelope.Version, new Dictionary<string, object?> { ["status"] = "x" })],
            "WrongType" => [RowChange.Upsert(key, envelope.Version, new Dictionary<string, object?> { ["status"] = "x", ["title"] = 42 })],
            _ => throw new UnknownEventTypeException(Contract.Name, envelope.Type, envelope.EventId),
        };
    }

    public static EventEnvelope Upserted(string tenant, int caseId, long version, string status, string? title = null, long position = 0, Guid? id = null) =>
        Envelope("CaseUpserted", tenant, caseId, version, position, id, new { tenant, @case = caseId, status, title });

    public static EventEnvelope Deleted(string tenant, int caseId, long version, long position = 0, Guid? id = null) =>
        Envelope("CaseDeleted", tenant, caseId, version, position, id, new { tenant, @case = caseId });

    public static EventEnvelope Envelope(string type, string tenant, int caseId, long version, long position, Guid? id, object payload) => new()
    {
        EventId = id ?? Guid.NewGuid(),
        OrderingKey = $"{tenant}/{caseId}",
        Version = version,
        Position = new StreamPosition(position),
        Type = type,
        OccurredAt = new DateTimeOffset(2026, 7, 5, 3, 10, 0, TimeSpan.Zero).AddSeconds(position),
        Payload = JsonSerializer.SerializeToElement(payload),
    };
}
