using ReadModelKit.Testing.Laws;

namespace ReadModelKit.Testing.Tests.Laws;

public sealed class ProjectionLawsTests
{
    private static readonly ProjectionLawOptions Small = new() { Cases = 30 };

    private static FsCheck.Gen<ReadModelKit.Events.EventEnvelope[]> Histories => EventHistories.FromExamples(BoardProjections.Examples, "caseId");

    [Fact]
    public async Task A_correct_projection_keeps_every_law()
    {
        await ProjectionLaws.CheckAllAsync(BoardProjections.Setup(() => new BoardProjections.Correct()), Histories, Small);
    }

    [Fact]
    public async Task Counting_instead_of_recomputing_breaks_idempotence_with_a_two_event_history()
    {
        var error = await Assert.ThrowsAsync<ProjectionLawException>(() =>
            ProjectionLaws.CheckAsync(ProjectionLaw.Idempotence, BoardProjections.Setup(() => new BoardProjections.CountsInsteadOfRecomputing()), Histories, Small));
        Assert.Equal([ProjectionLaw.Idempotence], error.BrokenLaws);
        Assert.Equal("board", error.ProjectionName);
        Assert.Contains("Projection 'board' breaks Idempotence.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Shrunk to:", error.Message, StringComparison.Ordinal);
        Assert.Contains("History (2 event(s)", error.Message, StringComparison.Ordinal);
        // Shrinking may end at two TaskAdded events or at CaseOpened + TaskAdded, depending on the seed; both are minimal.
        Assert.InRange(Count(error.Message, "TaskAdded key="), 1, 2);
        Assert.Contains("every batch delivered twice in a row, then the duplicated events again, as batches of event numbers: [1] [1] [2] [2]", error.Message, StringComparison.Ordinal);
        var row = System.Text.RegularExpressions.Regex.Match(error.Message, @"row \((\d+)\):\s+expected \(\1\) v\d+ title='[^']*' open_tasks=(\d+)\s+actual   \(\1\) v\d+ title='[^']*' open_tasks=(\d+)");
        Assert.True(row.Success, error.Message);
        Assert.True(int.Parse(row.Groups[3].Value) > int.Parse(row.Groups[2].Value), error.Message);
    }

    [Fact]
    public async Task Ignoring_the_version_breaks_order_insensitivity_with_a_two_event_history()
    {
        var error = await Assert.ThrowsAsync<ProjectionLawException>(() =>
            ProjectionLaws.CheckAsync(ProjectionLaw.OrderInsensitivity, BoardProjections.Setup(() => new BoardProjections.IgnoresTheVersion()), Histories, Small));
        Assert.Equal([ProjectionLaw.OrderInsensitivity], error.BrokenLaws);
        Assert.Contains("History (2 event(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("the same events in another order, one per batch, as batches of event numbers: [2] [1]", error.Message, StringComparison.Ordinal);
        var row = System.Text.RegularExpressions.Regex.Match(error.Message, @"row \((\d+)\):\s+expected (\(\1\) v0 .*)\s+actual   (\(\1\) v0 .*)");
        Assert.True(row.Success, error.Message);
        Assert.NotEqual(row.Groups[2].Value.Trim(), row.Groups[3].Value.Trim());
    }

    [Fact]
    public async Task A_delete_written_below_its_version_breaks_no_resurrection_with_a_two_event_history()
    {
        var error = await Assert.ThrowsAsync<ProjectionLawException>(() =>
            ProjectionLaws.CheckAsync(ProjectionLaw.NoResurrection, BoardProjections.Setup(() => new BoardProjections.ResurrectsAfterDelete()), Histories, Small));
        Assert.Equal([ProjectionLaw.NoResurrection], error.BrokenLaws);
        Assert.Contains("History (2 event(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Delivered in version order, as batches of event numbers: [1] [2]", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"2\. CaseDeleted key=case-7#\d v(\d+) ", error.Message);
        Assert.Matches(@"row \((\d+)\) is shown: \(\1\) v(\d+) title='[^']*' open_tasks=\d, although its newest change is a tombstone at v\2 from CaseDeleted", error.Message);
    }

    [Fact]
    public async Task Counting_instead_of_recomputing_also_breaks_rebuild_equivalence()
    {
        var error = await Assert.ThrowsAsync<ProjectionLawException>(() =>
            ProjectionLaws.CheckAsync(ProjectionLaw.RebuildEquivalence, BoardProjections.Setup(() => new BoardProjections.CountsInsteadOfRecomputing()), Histories, Small));
        Assert.Equal([ProjectionLaw.RebuildEquivalence], error.BrokenLaws);
        Assert.Contains("a rebuild", error.Message, StringComparison.Ordinal);
        Assert.Contains("History (1 event(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generator_without_deletes_cannot_pass_the_no_resurrection_law_silently()
    {
        var withoutDeletes = EventHistories.FromExamples(BoardProjections.Examples.Where(e => e.Type != "CaseDeleted").ToArray(), "caseId");
        var error = await Assert.ThrowsAsync<ProjectionLawException>(() =>
            ProjectionLaws.CheckAsync(ProjectionLaw.NoResurrection, BoardProjections.Setup(() => new BoardProjections.Correct()), withoutDeletes, new ProjectionLawOptions { Cases = 5 }));

        Assert.Contains("Not checked: in 5 generated case(s) no row ever ended with a tombstone.", error.Message, StringComparison.Ordinal);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
