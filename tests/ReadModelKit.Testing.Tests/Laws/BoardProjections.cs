using System.Text.Json;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;
using ReadModelKit.Testing.Harness;

namespace ReadModelKit.Testing.Tests.Laws;

/// <summary>
/// A case board: <c>CaseOpened</c> and <c>TaskAdded</c> carry the case's summary after the change (title, open task count),
/// <c>CaseDeleted</c> deletes it. <see cref="Correct"/> projects it right; the others carry one classic bug each.
/// </summary>
public static class BoardProjections
{
    public const string TableSql = """
        CREATE TABLE board (
            case_id      integer     PRIMARY KEY,
            title        text,
            open_tasks   integer,
            version      bigint      NOT NULL,
            projected_at timestamptz NOT NULL,
            deleted_at   timestamptz
        )
        """;

    public static ProjectionContract Contract { get; } = new()
    {
        Name = "board",
        Source = new ProjectionSource(SourceKind.BrokerTopic, "case-events"),
        OrderingScope = ["case_id"],
        Idempotency = IdempotencyMode.Inbox,
    };

    public static ReadModelTableMapping Mapping { get; } = new()
    {
        Table = "board",
        KeyColumns = ["case_id"],
        ValueColumns = ["title", "open_tasks"],
    };

    public static ProjectionSetup Setup(Func<IProjection> create) => new() { Create = create, Mapping = Mapping, TableSql = TableSql };

    /// <summary>A few example events of case 7; the law generator varies case, ids, versions, order, duplicates and batches.</summary>
    public static EventEnvelope[] Examples { get; } =
    [
        Event("CaseOpened", 7, new { caseId = 7, title = "Flood claim", openTasks = 0 }),
        Event("TaskAdded", 7, new { caseId = 7, title = "Flood claim", openTasks = 1 }),
        Event("TaskAdded", 7, new { caseId = 7, title = "Flood claim (urgent)", openTasks = 2 }),
        Event("CaseDeleted", 7, new { caseId = 7 }),
    ];

    public static EventEnvelope Event(string type, int caseId, object payload, long version = 1) => new()
    {
        EventId = Guid.NewGuid(),
        OrderingKey = $"case-{caseId}",
        Version = version,
        Type = type,
        OccurredAt = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero),
        Payload = JsonSerializer.SerializeToElement(payload),
    };

    private static RowKey Key(EventEnvelope e) => new(e.Payload.GetProperty("caseId").GetInt32());

    private static Dictionary<string, object?> Summary(EventEnvelope e, int openTasks) => new()
    {
        ["title"] = e.Payload.GetProperty("title").GetString(),
        ["open_tasks"] = openTasks,
    };

    /// <summary>Writes the summary the event carries at the event's version; deletes are tombstones at the event's version.</summary>
    public sealed class Correct : IProjection
    {
        public ProjectionContract Contract => BoardProjections.Contract;

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => envelope.Type == "CaseDeleted"
            ? [RowChange.Tombstone(Key(envelope), envelope.Version)]
            : [RowChange.Upsert(Key(envelope), envelope.Version, Summary(envelope, envelope.Payload.GetProperty("openTasks").GetInt32()))];
    }

    /// <summary>Bug: counts <c>TaskAdded</c> events in memory instead of taking the count the event carries, so a redelivered event counts twice.</summary>
    public sealed class CountsInsteadOfRecomputing : IProjection
    {
        private readonly Dictionary<int, int> _openTasks = [];

        public ProjectionContract Contract => BoardProjections.Contract;

        public IEnumerable<RowChange> Project(EventEnvelope envelope)
        {
            var caseId = envelope.Payload.GetProperty("caseId").GetInt32();
            if (envelope.Type == "CaseDeleted")
            {
                return [RowChange.Tombstone(Key(envelope), envelope.Version)];
            }

            var count = envelope.Type == "TaskAdded" ? _openTasks[caseId] = _openTasks.GetValueOrDefault(caseId) + 1 : _openTasks.GetValueOrDefault(caseId);
            return [RowChange.Upsert(Key(envelope), envelope.Version, Summary(envelope, count))];
        }
    }

    /// <summary>Bug: writes every change at version 0, so whichever event arrives first wins for good.</summary>
    public sealed class IgnoresTheVersion : IProjection
    {
        public ProjectionContract Contract => BoardProjections.Contract;

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => envelope.Type == "CaseDeleted"
            ? [RowChange.Tombstone(Key(envelope), 0)]
            : [RowChange.Upsert(Key(envelope), 0, Summary(envelope, envelope.Payload.GetProperty("openTasks").GetInt32()))];
    }

    /// <summary>Bug: writes a delete one version below the event (the version of the case it deleted), so the event before it shows the case again.</summary>
    public sealed class ResurrectsAfterDelete : IProjection
    {
        public ProjectionContract Contract => BoardProjections.Contract;

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => envelope.Type == "CaseDeleted"
            ? [RowChange.Tombstone(Key(envelope), envelope.Version - 1)]
            : [RowChange.Upsert(Key(envelope), envelope.Version, Summary(envelope, envelope.Payload.GetProperty("openTasks").GetInt32()))];
    }
}
