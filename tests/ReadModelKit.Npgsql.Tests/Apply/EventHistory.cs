using ReadModelKit.Events;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Apply;

/// <summary>
/// A generated event history for the apply laws: several keys, distinct versions per key, upserts and tombstones,
/// duplicates, an arbitrary delivery order and arbitrary batch splits — plus the in-memory reference model.
/// </summary>
public sealed record EventHistory(EventEnvelope[] Events, EventEnvelope[] Delivery, int[] BatchSizes)
{
    private static readonly string[] Statuses = ["open", "assigned", "review", "closed"];

    public override string ToString() =>
        $"{Events.Length} events, delivery [{string.Join(", ", Delivery.Select(e => $"{e.OrderingKey}@{e.Version}{(e.Type == "CaseDeleted" ? "x" : "")}"))}], batches [{string.Join(",", BatchSizes)}]";

    /// <summary>Events of 1-6 keys with distinct versions, delivered with duplicates in any order and any batch split.</summary>
    public static Gen<EventHistory> Any =>
        from events in Histories
        from duplicates in Gen.SubListOf(events)
        from delivery in Gen.Shuffle(events.Concat(duplicates).ToArray())
        from sizes in Gen.ArrayOf(Gen.Choose(1, 12), delivery.Length)
        select new EventHistory(events, delivery, sizes);

    /// <summary>Events delivered in position order with overlapping redelivery (what an ordered source does after a crash).</summary>
    public static Gen<EventHistory> Ordered =>
        from events in Histories
        from redeliveries in Gen.ListOf(Gen.Choose(0, Math.Max(0, events.Length - 1)))
        from sizes in Gen.ArrayOf(Gen.Choose(1, 12), events.Length * 2)
        select new EventHistory(events, Positioned(events), sizes) { Redeliveries = redeliveries.ToArray() };

    /// <summary>For ordered histories: batch start indexes to deliver again after the first pass.</summary>
    public int[] Redeliveries { get; init; } = [];

    private static Gen<EventEnvelope[]> Histories =>
        from keyCount in Gen.Choose(1, 6)
        from perKey in Gen.ArrayOf(KeyHistory, keyCount)
        select perKey.SelectMany((changes, k) => changes.Select(c => Make(k, c))).ToArray();

    private static Gen<(long Version, bool Tombstone, string Status, string? Title)[]> KeyHistory =>
        from versions in Gen.SubListOf(Enumerable.Range(1, 10).Select(v => (long)v).ToArray()).Where(v => v.Count > 0)
        from kinds in Gen.ArrayOf(Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true))), versions.Count)
        from statuses in Gen.ArrayOf(Gen.Elements(Statuses), versions.Count)
        from titles in Gen.ArrayOf(Gen.Elements<string?>(null, "", "NULL", "Fraud", "Ünïcode ✓"), versions.Count)
        select versions.Select((v, i) => (v, kinds[i], statuses[i], titles[i])).ToArray();

    private static EventEnvelope Make(int key, (long Version, bool Tombstone, string Status, string? Title) change)
    {
        var tenant = key % 2 == 0 ? "t1" : "t2";
        var caseId = key / 2 + 1;
        return change.Tombstone
            ? CaseListProjection.Deleted(tenant, caseId, change.Version)
            : CaseListProjection.Upserted(tenant, caseId, change.Version, change.Status, change.Title);
    }

    private static EventEnvelope[] Positioned(EventEnvelope[] events) =>
        events.OrderBy(e => e.OrderingKey, StringComparer.Ordinal).ThenBy(e => e.Version)
            .Select((e, i) => e with { Position = new StreamPosition(i + 1) }).ToArray();

    /// <summary>Splits the delivery into batches by <see cref="BatchSizes"/>.</summary>
    public IEnumerable<EventEnvelope[]> Batches()
    {
        var index = 0;
        for (var b = 0; index < Delivery.Length; b++)
        {
            var size = BatchSizes[b % BatchSizes.Length];
            yield return Delivery.Skip(index).Take(size).ToArray();
            index += size;
        }
    }

    /// <summary>The rows the read model must hold: per key the newest version wins; a tombstone hides the values.</summary>
    public static List<CaseRow> Reference(IEnumerable<EventEnvelope> events) =>
        events.DistinctBy(e => e.EventId)
            .GroupBy(e => e.OrderingKey)
            .Select(g => g.MaxBy(e => e.Version)!)
            .Select(e =>
            {
                var tenant = e.Payload.GetProperty("tenant").GetString()!;
                var caseId = e.Payload.GetProperty("case").GetInt32();
                return e.Type == "CaseDeleted"
                    ? new CaseRow(tenant, caseId, null, null, e.Version, true)
                    : new CaseRow(tenant, caseId, e.Payload.GetProperty("status").GetString(), e.Payload.GetProperty("title").GetString(), e.Version, false);
            })
            .OrderBy(r => r.Tenant, StringComparer.Ordinal).ThenBy(r => r.CaseId)
            .ToList();
}
