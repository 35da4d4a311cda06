using ReadModelKit.Contracts;

namespace ReadModelKit.Tests.Generators;

/// <summary>FsCheck generators of valid projection contracts and of the ways to break one.</summary>
public static class ContractGenerators
{
    private static readonly Gen<string> Identifier =
        from head in Gen.Elements("case", "task", "team", "queue", "_x", "sla")
        from tail in Gen.Elements("", "_list", "_read_model", "_v2", "_daily_agg", "9")
        select head + tail;

    private static readonly Gen<string> Field = Gen.Elements("tenant_id", "case_id", "task_id", "queue_id", "region", "day");

    public static Gen<ProjectionContract> Valid { get; } =
        from name in Identifier
        from version in Gen.Choose(1, 50)
        from kind in Gen.Elements(Enum.GetValues<SourceKind>())
        from sourceName in Gen.Elements("case-domain-events", "tasks", "enforcement_case")
        from scope in Gen.Shuffle(new[] { "case_id", "task_id", "queue_id", "region", "day" }).Select(s => s.Take(1 + (s.Length % 3)).ToArray())
        from tenantScoped in ArbMap.Default.GeneratorFor<bool>()
        from idempotency in Gen.Elements(Enum.GetValues<IdempotencyMode>())
        from expected in Gen.Choose(1, 60)
        from extra in Gen.Choose(0, 600)
        from stale in Gen.Elements(Enum.GetValues<StaleBehavior>())
        from rebuild in Gen.Elements(Enum.GetValues<RebuildMethod>())
        from policy in Gen.Elements(Enum.GetValues<FailurePolicy>())
        from consumers in Gen.Shuffle(new[] { "case-list-ui", "team-queue-api", "supervisor-workbench" }).Select(c => c.Take(c.Length % 4).ToArray())
        from piiCount in Gen.Choose(0, 3)
        from classes in Gen.ArrayOf(Gen.Elements(Enum.GetValues<PiiClassification>()), piiCount)
        select new ProjectionContract
        {
            Name = name,
            Version = version,
            Source = new ProjectionSource(kind, sourceName),
            OrderingScope = tenantScoped ? ["tenant_id", .. scope] : scope,
            Idempotency = kind == SourceKind.BrokerTopic && idempotency == IdempotencyMode.Checkpoint ? IdempotencyMode.Inbox : idempotency,
            Freshness = new FreshnessContract(TimeSpan.FromSeconds(expected), TimeSpan.FromSeconds(expected + extra)),
            StaleBehavior = stale,
            Rebuild = rebuild,
            FailurePolicy = policy,
            Consumers = consumers,
            Tenancy = tenantScoped ? TenantScoping.ByTenantId : TenantScoping.None,
            PiiFields = classes.Select((c, i) => new PiiField(
                $"field{i}",
                c,
                c == PiiClassification.Prohibited ? null : $"column{i}")).ToArray(),
        };

    /// <summary>One way to break a contract: a name for shrinking output, the change, and a fragment the error must contain.</summary>
    public sealed record Breaker(string Name, Func<ProjectionContract, ProjectionContract> Break, string ExpectedFragment)
    {
        public override string ToString() => Name;
    }

    /// <summary>Breakers that do not interfere with each other, so any subset can be applied together.</summary>
    public static IReadOnlyList<Breaker> Breakers { get; } =
    [
        new("invalid name", c => c with { Name = "Case List!" }, "Name 'Case List!' is not valid"),
        new("version zero", c => c with { Version = 0 }, "Version 0 is not valid"),
        new("max lag below expected", c => c with { Freshness = new FreshnessContract(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)) }, "is below Freshness.ExpectedLag"),
        new("tenant not in scope", c => c with { Tenancy = TenantScoping.ByTenantId, OrderingScope = c.OrderingScope.Where(f => f != "tenant_id").Append("case_ref").ToArray() }, "tenant field 'tenant_id' is not in OrderingScope"),
        new("prohibited pii mapped", c => c with { PiiFields = [.. c.PiiFields, new PiiField("national_id", PiiClassification.Prohibited, "national_id")] }, "PII field 'national_id' is Prohibited but mapped to column 'national_id'"),
        new("checkpoint on broker", c => c with { Source = c.Source with { Kind = SourceKind.BrokerTopic }, Idempotency = IdempotencyMode.Checkpoint }, "Idempotency is Checkpoint but the source is a broker topic"),
        new("blank source name", c => c with { Source = c.Source with { Name = " " } }, "Source.Name is empty"),
        new("duplicate consumer", c => c with { Consumers = [.. c.Consumers, "dup-ui", "dup-ui"] }, "Consumers lists 'dup-ui' twice"),
        new("duplicate scope field", c => c with { OrderingScope = [.. c.OrderingScope, "dup_field", "dup_field"] }, "OrderingScope lists 'dup_field' twice"),
        new("unknown stale behaviour", c => c with { StaleBehavior = (StaleBehavior)42 }, "StaleBehavior has the unknown value 42"),
    ];

    public static Gen<Breaker[]> BreakerSets { get; } =
        Gen.SubListOf(Breakers.ToArray()).Where(s => s.Count > 0).Select(s => s.ToArray());
}
