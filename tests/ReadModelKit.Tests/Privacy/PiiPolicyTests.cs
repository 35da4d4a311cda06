using ReadModelKit.Contracts;
using ReadModelKit.Privacy;
using ReadModelKit.Tests.Contracts;

namespace ReadModelKit.Tests.Privacy;

public sealed class PiiPolicyTests
{
    [Fact]
    public void The_policy_lists_masked_columns_masked_fields_and_prohibited_fields()
    {
        var contract = SeedContracts.CaseList with
        {
            PiiFields =
            [
                new PiiField("partyDisplayName", PiiClassification.Masked, "party_display_name"),
                new PiiField("phone", PiiClassification.Masked),
                new PiiField("nationalId", PiiClassification.Prohibited),
                new PiiField("assignee", PiiClassification.Visible, "assignee"),
            ],
        };

        var policy = PiiPolicy.For(contract);

        Assert.Equal(["party_display_name"], policy.MaskedColumns);
        Assert.Equal(["partyDisplayName", "phone"], policy.MaskedFields.Order());
        Assert.Equal(["nationalId"], policy.ProhibitedFields);
        Assert.True(policy.HidesField("nationalId"));
        Assert.True(policy.HidesField("phone"));
        Assert.False(policy.HidesField("assignee"));
        Assert.False(policy.IsEmpty);
    }

    [Fact]
    public void Visible_fields_alone_hide_nothing()
    {
        var policy = PiiPolicy.For(SeedContracts.CaseList with { PiiFields = [new PiiField("assignee", PiiClassification.Visible, "assignee")] });
        Assert.Same(PiiPolicy.None, policy);
        Assert.True(policy.IsEmpty);
    }
}
