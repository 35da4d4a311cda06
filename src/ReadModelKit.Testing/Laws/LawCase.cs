using ReadModelKit.Events;

namespace ReadModelKit.Testing.Laws;

/// <summary>
/// One generated case: a history (distinct events, in the order the source wrote them), a permutation of it, the events
/// delivered twice, and batch sizes. Each law builds its delivery from these; shrinking removes events, duplicates, splits and disorder.
/// </summary>
internal sealed record LawCase(EventEnvelope[] History, EventEnvelope[] Permutation, EventEnvelope[] Duplicates, int[] BatchSizes)
{
    /// <summary>The history in version order per key (stable, so keys keep the source's interleaving).</summary>
    public EventEnvelope[] InOrder => History.OrderBy(e => e.Version).ToArray();

    public static LawCase From(EventEnvelope[] generated, EventEnvelope[] permutation, EventEnvelope[] duplicates, int[] batchSizes)
    {
        var seen = new HashSet<Guid>();
        var history = generated.Where(e => seen.Add(e.EventId)).ToArray();
        return new LawCase(history, permutation.Where(history.Contains).DistinctBy(e => e.EventId).ToArray(), duplicates.Where(history.Contains).ToArray(), batchSizes.Length == 0 ? [1] : batchSizes);
    }

    /// <summary>Splits <paramref name="events"/> into batches by <see cref="BatchSizes"/> (cycling).</summary>
    public List<EventEnvelope[]> Split(IReadOnlyList<EventEnvelope> events)
    {
        var batches = new List<EventEnvelope[]>();
        for (int index = 0, b = 0; index < events.Count; b++)
        {
            var size = Math.Max(1, BatchSizes[b % BatchSizes.Length]);
            batches.Add(events.Skip(index).Take(size).ToArray());
            index += size;
        }

        return batches;
    }

    /// <summary>
    /// Smaller cases that may still fail: an ordering key, half the history or one event fewer, fewer duplicates, one event per
    /// batch, less disorder. Every candidate is strictly simpler, so shrinking cannot cycle.
    /// </summary>
    public IEnumerable<LawCase> Shrink()
    {
        var keys = History.Select(e => e.OrderingKey).Distinct().ToList();
        if (keys.Count > 1)
        {
            foreach (var key in keys)
            {
                yield return Without(e => e.OrderingKey == key);
            }
        }

        if (History.Length > 3)
        {
            var firstHalf = History.Take(History.Length / 2).ToHashSet();
            yield return Without(firstHalf.Contains);
            yield return Without(e => !firstHalf.Contains(e));
        }

        foreach (var e in History)
        {
            yield return Without(x => x == e);
        }

        for (var i = 0; i < Duplicates.Length; i++)
        {
            yield return this with { Duplicates = Duplicates.Where((_, j) => j != i).ToArray() };
        }

        if (BatchSizes.Any(size => size != 1))
        {
            yield return this with { BatchSizes = [1] };
        }

        if (BatchSizes.Length > 1)
        {
            yield return this with { BatchSizes = BatchSizes[..^1] };
        }

        if (!Permutation.SequenceEqual(InOrder))
        {
            yield return this with { Permutation = InOrder };
            for (var i = 0; i + 1 < Permutation.Length; i++)
            {
                var swapped = (EventEnvelope[])Permutation.Clone();
                (swapped[i], swapped[i + 1]) = (swapped[i + 1], swapped[i]);
                if (InversionCount(swapped) < InversionCount(Permutation))
                {
                    yield return this with { Permutation = swapped };
                }
            }
        }
    }

    private LawCase Without(Func<EventEnvelope, bool> removed) => new(
        History.Where(e => !removed(e)).ToArray(),
        Permutation.Where(e => !removed(e)).ToArray(),
        Duplicates.Where(e => !removed(e)).ToArray(),
        BatchSizes);

    private int InversionCount(EventEnvelope[] order)
    {
        var rank = InOrder.Select((e, i) => (e, i)).ToDictionary(x => x.e.EventId, x => x.i);
        var count = 0;
        for (var i = 0; i < order.Length; i++)
        {
            for (var j = i + 1; j < order.Length; j++)
            {
                count += rank[order[i].EventId] > rank[order[j].EventId] ? 1 : 0;
            }
        }

        return count;
    }
}
