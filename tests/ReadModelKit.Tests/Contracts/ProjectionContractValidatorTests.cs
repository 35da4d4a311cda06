using ReadModelKit.Contracts;
using ReadModelKit.Exceptions;
using ReadModelKit.Tests.Generators;

namespace ReadModelKit.Tests.Contracts;

public sealed class ProjectionContractValidatorTests
{
    [Fact]
    public void Generated_valid_contracts_have_no_errors()
    {
        Prop.ForAll(ContractGenerators.Valid.ToArbitrary(), contract =>
                ProjectionContractValidator.Validate(contract).Count == 0)
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_applied_breaker_is_reported_in_one_exception()
    {
        var cases = from contract in ContractGenerators.Valid
                    from breakers in ContractGenerators.BreakerSets
                    select (contract, breakers);
        Prop.ForAll(cases.ToArbitrary(), input =>
            {
                var broken = input.breakers.Aggregate(input.contract, (c, b) => b.Break(c));
                var exception = Assert.Throws<ProjectionContractException>(() => ProjectionContractValidator.ThrowIfInvalid(broken));
                foreach (var breaker in input.breakers)
                {
                    Assert.Contains(exception.Errors, e => e.Contains(breaker.ExpectedFragment, StringComparison.Ordinal));
                    Assert.Contains(breaker.ExpectedFragment, exception.Message, StringComparison.Ordinal);
                }

                Assert.True(exception.Errors.Count >= input.breakers.Length);
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Message_names_the_projection_and_counts_the_problems()
    {
        var contract = new ProjectionContract
        {
            Name = "case_list",
            Source = new ProjectionSource(SourceKind.Outbox, "case-events"),
            OrderingScope = ["case_id"],
            Freshness = new FreshnessContract(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)),
            Tenancy = TenantScoping.ByTenantId,
        };

        var exception = Assert.Throws<ProjectionContractException>(() => ProjectionContractValidator.ThrowIfInvalid(contract));

        Assert.Equal("case_list", exception.ProjectionName);
        Assert.Equal(2, exception.Errors.Count);
        Assert.StartsWith("Projection contract 'case_list' is invalid (2 problems)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_ordering_scope_and_missing_inbox_key_are_reported()
    {
        var contract = new ProjectionContract
        {
            Name = "case_list",
            Source = new ProjectionSource(SourceKind.Outbox, "case-events"),
            OrderingScope = [],
            IdempotencyKey = "",
        };

        var errors = ProjectionContractValidator.Validate(contract);

        Assert.Contains(errors, e => e.StartsWith("OrderingScope is empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("IdempotencyKey is empty but Idempotency is Inbox", StringComparison.Ordinal));
    }
}
