using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;

namespace CaseWorkspace;

/// <summary>
/// The case list projection: a pure function from one case event to the row change it causes.
/// Every case event carries the case's summary after the change (status, assignee, open task count), as outbox
/// events designed for projections do, so any event of a case can write the whole row and the version guard
/// keeps the newest one whatever the delivery order. <c>CaseDeleted</c> writes a tombstone. The party's display name is masked
/// personal data (see <see cref="CaseListContract"/>): the UI shows it from the read model, the library never copies it in the clear.
/// </summary>
public sealed class CaseListProjection : IProjection
{
    public ProjectionContract Contract => CaseListContract.Value;

    /// <summary>How the projection maps onto <see cref="CaseWorkspaceSchema.ReadModelTable"/>.</summary>
    public static ReadModelTableMapping Mapping { get; } = new()
    {
        Schema = CaseWorkspaceSchema.Schema,
        Table = CaseWorkspaceSchema.ReadModelTable,
        KeyColumns = ["tenant_id", "case_id"],
        ValueColumns = ["status", "assignee", "open_task_count", "party_display_name"],
        RecomputeSql = CaseWorkspaceSchema.ExpectedRowsSql,
        RecomputeReturnsVersion = true, // the cases' version: a rebuild's backfill and live events commute (docs/rebuild.md)
    };

    public IEnumerable<RowChange> Project(EventEnvelope envelope)
    {
        var payload = envelope.Payload;
        if (!payload.TryGetProperty("tenantId", out var tenant) || !payload.TryGetProperty("caseId", out var caseId))
        {
            throw new MalformedPayloadException(Contract.Name, envelope.Type, envelope.EventId, "the payload has no 'tenantId' or 'caseId'");
        }

        var key = new RowKey(tenant.GetString()!, caseId.GetInt32());
        switch (envelope.Type)
        {
            case CaseEventTypes.Opened or CaseEventTypes.Assigned or CaseEventTypes.TaskAdded or CaseEventTypes.TaskCompleted or CaseEventTypes.Closed:
                if (!payload.TryGetProperty("status", out var status) || !payload.TryGetProperty("openTaskCount", out var openTasks))
                {
                    throw new MalformedPayloadException(Contract.Name, envelope.Type, envelope.EventId, "the payload has no case summary ('status', 'openTaskCount')");
                }

                return
                [
                    RowChange.Upsert(key, envelope.Version, new Dictionary<string, object?>
                    {
                        ["status"] = status.GetString(),
                        ["assignee"] = payload.TryGetProperty("assignee", out var assignee) ? assignee.GetString() : null,
                        ["open_task_count"] = openTasks.GetInt32(),
                        ["party_display_name"] = payload.TryGetProperty("partyDisplayName", out var party) ? party.GetString() : null,
                    }),
                ];
            case CaseEventTypes.Deleted:
                return [RowChange.Tombstone(key, envelope.Version)];
            default:
                throw new UnknownEventTypeException(Contract.Name, envelope.Type, envelope.EventId);
        }
    }
}
