using ReadModelKit.Testing.Laws;

namespace CaseWorkspace.Tests;

public sealed class CaseListLawsTests
{
    [Fact]
    public async Task The_case_list_projection_keeps_every_projection_law()
    {
        var histories = EventHistories.FromExamples(CaseListTesting.Examples, keyProperty: "caseId");

        await ProjectionLaws.CheckAllAsync(CaseListTesting.Setup, histories, new ProjectionLawOptions { Cases = 30 });
    }
}
