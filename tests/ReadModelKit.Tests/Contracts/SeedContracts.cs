using ReadModelKit.Contracts;

namespace ReadModelKit.Tests.Contracts;

/// <summary>The seed's case-list contract (seed 000 §8), used by example tests.</summary>
public static class SeedContracts
{
    public static ProjectionContract CaseList { get; } = new()
    {
        Name = "case_list_read_model",
        Source = new ProjectionSource(SourceKind.Outbox, "case-domain-events"),
        OrderingScope = ["tenant_id", "case_id"],
        Freshness = new FreshnessContract(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)),
        Rebuild = RebuildMethod.BackfillFromCanonicalTables,
        Consumers = ["case-list-ui", "team-queue-api"],
        Tenancy = TenantScoping.ByTenantId,
        PiiFields = [new PiiField("partyDisplayName", PiiClassification.Masked, "party_display_name")],
    };
}
