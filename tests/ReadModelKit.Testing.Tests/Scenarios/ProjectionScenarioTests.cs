using ReadModelKit.Changes;
using ReadModelKit.Testing.Scenarios;
using ReadModelKit.Testing.Tests.Laws;

namespace ReadModelKit.Testing.Tests.Scenarios;

public sealed class ProjectionScenarioTests
{
    private static readonly ReadModelKit.Testing.Harness.ProjectionSetup Board = BoardProjections.Setup(() => new BoardProjections.Correct());

    private static ReadModelKit.Events.EventEnvelope Opened(int caseId, long version, string title, int openTasks) =>
        BoardProjections.Event("CaseOpened", caseId, new { caseId, title, openTasks }, version);

    private static ReadModelKit.Events.EventEnvelope Deleted(int caseId, long version) =>
        BoardProjections.Event("CaseDeleted", caseId, new { caseId }, version);

    [Fact]
    public async Task Events_in_any_order_with_duplicates_end_in_the_expected_rows()
    {
        var newer = Opened(1, 3, "Storm damage", 2);
        var older = Opened(1, 2, "Storm", 1);
        var delete = Deleted(2, 5);

        await ProjectionScenario.For(Board)
            .Given(newer, delete, Opened(2, 4, "Theft", 0), older, newer)
            .InBatchesOf(2)
            .ThenRow(new RowKey(1), new Dictionary<string, object?> { ["title"] = "Storm damage", ["open_tasks"] = 2 }, version: 3)
            .ThenNoRow(new RowKey(2))
            .ThenNoOtherRows()
            .VerifyAsync();
    }

    [Fact]
    public async Task Every_mismatch_is_reported_together()
    {
        var poison = BoardProjections.Event("CaseOpened", 3, new { title = "no case id" }, 1);
        var notDeadLettered = Opened(4, 1, "Fine", 0);

        var error = await Assert.ThrowsAsync<ProjectionScenarioException>(() => ProjectionScenario.For(Board)
            .Given(Opened(1, 1, "Storm", 1), Opened(2, 1, "Theft", 0), poison, notDeadLettered)
            .ThenRow(new RowKey(1), new Dictionary<string, object?> { ["title"] = "Flood", ["open_tasks"] = 1 })
            .ThenRow(new RowKey(9), new Dictionary<string, object?> { ["title"] = "Missing" })
            .ThenNoRow(new RowKey(2))
            .ThenDeadLetter(notDeadLettered.EventId)
            .VerifyAsync());

        Assert.Equal("board", error.ProjectionName);
        Assert.Equal(
            [
                "row (1): expected (1) title='Flood' open_tasks=1, but title='Storm' (row: (1) v1 title='Storm' open_tasks=1)",
                "row (9): expected (9) title='Missing', but there is no row",
                "row (2): expected no row, but found (2) v1 title='Theft' open_tasks=0",
                $"dead letter: expected CaseOpened key=case-4 v1 pos 0 id {notDeadLettered.EventId.ToString("N")[..8]} payload {{\"caseId\":4,\"title\":\"Fine\",\"openTasks\":0}} to be dead-lettered, but it was not",
            ],
            error.Mismatches.Take(4));
        Assert.Equal(5, error.Mismatches.Count);
        Assert.StartsWith($"unexpected dead letter (dead): CaseOpened key=case-3 v1 pos 0 id {poison.EventId.ToString("N")[..8]}", error.Mismatches[4], StringComparison.Ordinal);
        Assert.EndsWith(": The given key was not present in the dictionary.", error.Mismatches[4], StringComparison.Ordinal);
        Assert.Contains("Scenario of projection 'board' failed: 5 mismatch(es).", error.Message, StringComparison.Ordinal);
        Assert.Contains("Given (4 event(s), delivered in this order, in one batch):", error.Message, StringComparison.Ordinal);
        Assert.Contains("Rows after the events:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expected_dead_letter_with_its_error_passes_and_parks_nothing_unexpected()
    {
        var poison = BoardProjections.Event("CaseOpened", 3, new { title = "no case id" }, 1);

        await ProjectionScenario.For(Board)
            .Given(poison, Opened(3, 2, "Later", 0), Opened(5, 1, "Other", 0))
            .ThenDeadLetter(poison.EventId, errorContains: "The given key was not present")
            .ThenRow(new RowKey(5), new Dictionary<string, object?> { ["title"] = "Other" })
            .VerifyAsync();
    }
}
