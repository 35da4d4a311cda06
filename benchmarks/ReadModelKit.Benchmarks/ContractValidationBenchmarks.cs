using BenchmarkDotNet.Attributes;
using ReadModelKit.Contracts;

namespace ReadModelKit.Benchmarks;

/// <summary>Start-up cost of validating and rendering a contract (runs once per projection per start).</summary>
[MemoryDiagnoser]
public class ContractValidationBenchmarks
{
    private readonly ProjectionContract _contract = new()
    {
        Name = "case_list_read_model",
        Source = new ProjectionSource(SourceKind.Outbox, "case-domain-events"),
        OrderingScope = ["tenant_id", "case_id"],
        Tenancy = TenantScoping.ByTenantId,
        Consumers = ["case-list-ui"],
    };

    /// <summary>Validation alone.</summary>
    [Benchmark(Baseline = true)]
    public int Validate() => ProjectionContractValidator.Validate(_contract).Count;

    /// <summary>Rendering the design card.</summary>
    [Benchmark]
    public int RenderDesignCard() => DesignCardWriter.Render(_contract).Length;
}
