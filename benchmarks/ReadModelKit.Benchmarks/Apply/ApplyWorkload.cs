using System.Text.Json;
using ReadModelKit.Events;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>How the workload's event ids are made.</summary>
public enum EventIdKind
{
    /// <summary><see cref="Guid.NewGuid"/>: uniformly random, so inbox inserts land all over the primary-key index.</summary>
    Random,

    /// <summary><see cref="Guid.CreateVersion7(DateTimeOffset)"/>: time-ordered, so inbox inserts append at the right edge of the index.</summary>
    Version7,
}

/// <summary>
/// The events every apply benchmark writes: <see cref="Events"/> <c>CaseChanged</c> events, one per case
/// (so every event writes one read-model row and one inbox row, the same rows the COPY ceiling writes),
/// spread over 16 tenants, positions 1..N in order.
/// </summary>
public static class ApplyWorkload
{
    /// <summary>Events per benchmark invocation (a multiple of every batch size measured).</summary>
    public const int Events = 20_000;

    private static readonly string[] Statuses = ["open", "assigned", "waiting_on_customer", "in_review", "closed"];

    /// <summary>Creates the workload.</summary>
    /// <param name="ids">How event ids are made.</param>
    /// <param name="firstCaseId">The case id of the first event (later events take the following ids).</param>
    /// <param name="start">The time of the first event; later events are 1 ms apart.</param>
    public static EventEnvelope[] Create(EventIdKind ids, int firstCaseId, DateTimeOffset start)
    {
        var events = new EventEnvelope[Events];
        for (var i = 0; i < Events; i++)
        {
            var occurredAt = start.AddMilliseconds(i);
            var caseId = firstCaseId + i;
            var payload = new CasePayload(
                $"tenant-{i % 16:00}",
                caseId,
                Statuses[i % Statuses.Length],
                i % 4 == 0 ? null : $"user-{i % 37}",
                i % 7);
            events[i] = new EventEnvelope
            {
                EventId = ids == EventIdKind.Version7 ? Guid.CreateVersion7(occurredAt) : Guid.NewGuid(),
                OrderingKey = $"{payload.Tenant}/{caseId}",
                Version = 1 + (i % 5),
                Position = new StreamPosition(i + 1),
                Type = "CaseChanged",
                OccurredAt = occurredAt,
                Payload = JsonSerializer.SerializeToElement(payload, PayloadOptions),
            };
        }

        return events;
    }

    /// <summary>Splits the workload into batches of <paramref name="size"/> events.</summary>
    public static EventEnvelope[][] Batches(EventEnvelope[] events, int size) => events.Chunk(size).ToArray();

    private static readonly JsonSerializerOptions PayloadOptions = new(JsonSerializerDefaults.Web);

    private sealed record CasePayload(string Tenant, int Case, string Status, string? Assignee, int OpenTasks);
}
