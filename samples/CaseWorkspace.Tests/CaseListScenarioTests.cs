using ReadModelKit.Changes;
using ReadModelKit.Testing.Scenarios;

namespace CaseWorkspace.Tests;

public sealed class CaseListScenarioTests
{
    [Fact]
    public async Task A_late_and_duplicated_assignment_does_not_overwrite_the_closed_case()
    {
        var assigned = CaseListTesting.Event(CaseEventTypes.Assigned, 7, 2, "in_progress", "ana");
        var closed = CaseListTesting.Event(CaseEventTypes.Closed, 7, 3, "closed", "ana");

        await ProjectionScenario.For(CaseListTesting.Setup)
            .Given(closed, assigned, CaseListTesting.Event(CaseEventTypes.Opened, 7, 1, "open"), assigned)
            .ThenRow(new RowKey("acme", 7), new Dictionary<string, object?> { ["status"] = "closed", ["assignee"] = "ana", ["open_task_count"] = 0 }, version: 3)
            .ThenNoOtherRows()
            .VerifyAsync();
    }

    [Fact]
    public async Task A_deleted_case_stays_deleted_when_older_events_arrive_after_the_delete()
    {
        await ProjectionScenario.For(CaseListTesting.Setup)
            .Given(
                CaseListTesting.Event(CaseEventTypes.Deleted, 8, 4, "closed"),
                CaseListTesting.Event(CaseEventTypes.TaskAdded, 8, 2, "open", openTasks: 1),
                CaseListTesting.Event(CaseEventTypes.Opened, 8, 1, "open"))
            .InBatchesOf(1)
            .ThenNoRow(new RowKey("acme", 8))
            .VerifyAsync();
    }

    [Fact]
    public async Task An_event_without_the_case_summary_is_dead_lettered_and_later_events_of_its_case_wait_behind_it()
    {
        var broken = CaseListTesting.Event(CaseEventTypes.Opened, 9, 1, "open") with
        {
            Payload = System.Text.Json.JsonSerializer.SerializeToElement(new { tenantId = "acme", caseId = 9 }),
        };

        await ProjectionScenario.For(CaseListTesting.Setup)
            .Given(broken, CaseListTesting.Event(CaseEventTypes.Assigned, 9, 2, "in_progress", "bo"), CaseListTesting.Event(CaseEventTypes.Opened, 10, 1, "open"))
            .ThenDeadLetter(broken.EventId, errorContains: "the payload has no case summary ('status', 'openTaskCount')")
            .ThenNoRow(new RowKey("acme", 9))
            .ThenRow(new RowKey("acme", 10), new Dictionary<string, object?> { ["status"] = "open" })
            .VerifyAsync();
    }
}
