namespace CaseWorkspace;

/// <summary>The case events the application publishes.</summary>
public static class CaseEventTypes
{
    public const string Opened = "CaseOpened";
    public const string Assigned = "CaseAssigned";
    public const string TaskAdded = "TaskAdded";
    public const string TaskCompleted = "TaskCompleted";
    public const string Closed = "CaseClosed";
    public const string Deleted = "CaseDeleted";
}
