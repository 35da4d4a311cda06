using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Projections;

namespace ReadModelKit.Benchmarks.EndToEnd;

/// <summary>A case-list projection whose events carry the row: key (tenant, case), status, title; rebuilt by replay of its stream.</summary>
internal sealed class BenchCaseProjection(string stream, string name = BenchCaseProjection.Name) : IProjection
{
    public const string Name = "bench_case_list";

    public ProjectionContract Contract { get; } = new()
    {
        Name = name,
        Rebuild = RebuildMethod.ReplayEvents,
        Source = new ProjectionSource(SourceKind.Outbox, stream),
        OrderingScope = ["tenant_id", "case_id"],
        Idempotency = IdempotencyMode.Checkpoint,
        Tenancy = TenantScoping.ByTenantId,
    };

    public IEnumerable<RowChange> Project(EventEnvelope envelope)
    {
        var payload = envelope.Payload;
        yield return RowChange.Upsert(
            new RowKey(payload.GetProperty("t").GetString()!, payload.GetProperty("c").GetInt32()),
            envelope.Version,
            new Dictionary<string, object?> { ["status"] = payload.GetProperty("s").GetString(), ["title"] = payload.GetProperty("n").GetString() });
    }
}
