using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using ReadModelKit.Events;

namespace ReadModelKit.Testing.Laws;

/// <summary>Generators of event histories for the projection laws.</summary>
public static class EventHistories
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Histories built from a few example events of one entity: 1 to <paramref name="maxKeys"/> entities, each with 1 to
    /// <paramref name="maxEventsPerKey"/> events drawn from the examples (with repetition), fresh event ids, strictly increasing
    /// versions with gaps, and positions in the order the source wrote them. The laws then vary order, duplication and batch splits.
    /// </summary>
    /// <param name="examples">Example events of one entity (for example opened, changed, deleted); include a delete so the no-resurrection law has work.</param>
    /// <param name="forKey">Returns the example re-keyed to entity number <c>k</c> (0-based): its payload's key fields and its ordering key.</param>
    /// <param name="maxKeys">The most entities per history. Default 3.</param>
    /// <param name="maxEventsPerKey">The most events per entity. Default 5.</param>
    /// <exception cref="ArgumentException">No example was given.</exception>
    public static Gen<EventEnvelope[]> FromExamples(IReadOnlyList<EventEnvelope> examples, Func<EventEnvelope, int, EventEnvelope> forKey, int maxKeys = 3, int maxEventsPerKey = 5)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(forKey);
        if (examples.Count == 0)
        {
            throw new ArgumentException("Give at least one example event.", nameof(examples));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventsPerKey, 1);
        var entity =
            from count in Gen.Choose(1, maxEventsPerKey)
            from picks in Gen.ArrayOf(Gen.Elements(examples.ToArray()), count)
            from gaps in Gen.ArrayOf(Gen.Choose(1, 2), count)
            select picks.Zip(gaps).ToArray();
        return
            from keys in Gen.Choose(1, maxKeys)
            from entities in Gen.ArrayOf(entity, keys)
            select Build(entities, forKey);
    }

    /// <summary>
    /// As <see cref="FromExamples(IReadOnlyList{EventEnvelope}, Func{EventEnvelope, int, EventEnvelope}, int, int)"/>, re-keying by one
    /// payload property: for entity <c>k</c> a number becomes <c>value + k</c>, a string <c>value-k</c>, and the ordering key gets <c>#k</c>.
    /// </summary>
    /// <param name="examples">Example events of one entity; include a delete.</param>
    /// <param name="keyProperty">The payload property that identifies the entity (for example <c>caseId</c>).</param>
    /// <param name="maxKeys">The most entities per history. Default 3.</param>
    /// <param name="maxEventsPerKey">The most events per entity. Default 5.</param>
    /// <exception cref="ArgumentException">No example was given, or an example's payload lacks <paramref name="keyProperty"/>.</exception>
    public static Gen<EventEnvelope[]> FromExamples(IReadOnlyList<EventEnvelope> examples, string keyProperty, int maxKeys = 3, int maxEventsPerKey = 5)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyProperty);
        var missing = examples.Where(e => e.Payload.ValueKind != JsonValueKind.Object || !e.Payload.TryGetProperty(keyProperty, out _)).Select(e => e.Type).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"The payload of example(s) {string.Join(", ", missing)} has no property '{keyProperty}': name the property that identifies the entity, or re-key with the overload taking a function.", nameof(keyProperty));
        }

        return FromExamples(examples, (e, k) => ReKey(e, keyProperty, k), maxKeys, maxEventsPerKey);
    }

    private static EventEnvelope ReKey(EventEnvelope example, string keyProperty, int k)
    {
        var payload = JsonNode.Parse(example.Payload.GetRawText())!.AsObject();
        var value = example.Payload.GetProperty(keyProperty);
        payload[keyProperty] = value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var n) => JsonValue.Create(n + k),
            JsonValueKind.String => JsonValue.Create(value.GetString() + "-" + k.ToString(CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"Payload property '{keyProperty}' of {example.Type} is neither an integer nor a string; re-key with the overload taking a function.", nameof(keyProperty)),
        };
        return example with
        {
            OrderingKey = example.OrderingKey + "#" + k.ToString(CultureInfo.InvariantCulture),
            Payload = JsonSerializer.SerializeToElement(payload),
        };
    }

    private static EventEnvelope[] Build((EventEnvelope Example, int Gap)[][] entities, Func<EventEnvelope, int, EventEnvelope> forKey)
    {
        var history = new List<EventEnvelope>();
        for (var k = 0; k < entities.Length; k++)
        {
            long version = 0;
            foreach (var (example, gap) in entities[k])
            {
                version += gap;
                var position = history.Count + 1;
                history.Add(forKey(example, k) with
                {
                    EventId = new Guid(((k + 1) << 16) | (int)version, 0, 0, BitConverter.GetBytes(version)),
                    Version = version,
                    Position = new StreamPosition(position),
                    OccurredAt = Epoch.AddSeconds(position),
                });
            }
        }

        return history.ToArray();
    }
}
