using ReadModelKit.Contracts;

namespace CaseWorkspace;

/// <summary>The design card of the case list read model (seed 000 §8).</summary>
public static class CaseListContract
{
    public static ProjectionContract Value { get; } = new()
    {
        Name = "case_list_read_model",
        Version = 1,
        Source = new ProjectionSource(SourceKind.Outbox, "case-domain-events"),
        OrderingScope = ["tenant_id", "case_id"],
        Idempotency = IdempotencyMode.Inbox,
        Freshness = new FreshnessContract(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)),
        StaleBehavior = StaleBehavior.ShowFreshnessBanner,
        Rebuild = RebuildMethod.BackfillFromCanonicalTables,
        Consumers = ["case-list-ui", "team-queue-api"],
        Tenancy = TenantScoping.ByTenantId,
        PiiFields = [new PiiField("partyDisplayName", PiiClassification.Masked, "party_display_name")],
    };
}
