using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Projections;
using ReadModelKit.Tests.Contracts;

namespace ReadModelKit.Tests.DependencyInjection;

public sealed class AddReadModelKitTests
{
    private sealed class CaseListProjection : IProjection
    {
        public ProjectionContract Contract => SeedContracts.CaseList;

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => [];
    }

    [Fact]
    public void Repeat_calls_share_one_catalog_and_register_nothing_twice()
    {
        var services = new ServiceCollection();

        services.AddReadModelKit(kit => kit.AddProjection<CaseListProjection>());
        services.AddReadModelKit(kit => kit.AddProjection<CaseListProjection>().AddProjection(SeedContracts.CaseList));

        Assert.Single(services, d => d.ServiceType == typeof(ProjectionCatalog));
        Assert.Single(services, d => d.ServiceType == typeof(IProjection));
        Assert.Single(services, d => d.ServiceType == typeof(TimeProvider));
        using var provider = services.BuildServiceProvider();
        Assert.Equal(["case_list_read_model"], provider.GetRequiredService<ProjectionCatalog>().Contracts.Select(c => c.Name));
        Assert.IsType<CaseListProjection>(Assert.Single(provider.GetServices<IProjection>()));
    }

    [Fact]
    public void Two_different_contracts_with_one_name_are_rejected()
    {
        var services = new ServiceCollection();
        var builder = services.AddReadModelKit(kit => kit.AddProjection(SeedContracts.CaseList));

        var exception = Assert.Throws<ProjectionContractException>(() => builder.AddProjection(SeedContracts.CaseList with { Version = 2 }));

        Assert.Contains("Two different projections are named 'case_list_read_model' in this host", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_contract_fails_at_registration_with_every_problem()
    {
        var services = new ServiceCollection();

        var exception = Assert.Throws<ProjectionContractException>(() => services.AddReadModelKit(kit => kit.AddProjection(SeedContracts.CaseList with
        {
            Version = 0,
            Freshness = new FreshnessContract(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1)),
        })));

        Assert.Equal(2, exception.Errors.Count);
        Assert.Empty(services.BuildServiceProvider().GetRequiredService<ProjectionCatalog>().Contracts);
    }

    [Fact]
    public void Unknown_projection_lookup_says_how_to_register()
    {
        var catalog = new ProjectionCatalog();
        catalog.Add(SeedContracts.CaseList);

        var exception = Assert.Throws<ReadModelKitException>(() => catalog.Get("task_list"));

        Assert.Equal("No projection named 'task_list' is registered. Registered: case_list_read_model. Register it with AddReadModelKit(kit => kit.AddProjection(...)).", exception.Message);
    }
}
