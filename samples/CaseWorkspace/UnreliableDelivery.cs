using ReadModelKit.Events;

namespace CaseWorkspace;

/// <summary>
/// What an at-least-once broker does to a stream: delivers it out of order (shuffled within windows, some
/// messages very late) and delivers some messages twice. Seeded, so a run is repeatable.
/// </summary>
public static class UnreliableDelivery
{
    /// <summary>The delivered messages and what was done to them.</summary>
    /// <param name="Messages">The messages in delivery order.</param>
    /// <param name="Duplicates">Extra copies delivered.</param>
    /// <param name="OutOfOrder">First deliveries that arrived after a later event of the stream.</param>
    public sealed record Delivery(IReadOnlyList<EventEnvelope> Messages, int Duplicates, int OutOfOrder);

    public static Delivery Scramble(IReadOnlyList<EventEnvelope> events, int seed)
    {
        var random = new Random(seed);
        var messages = new List<EventEnvelope>(events);

        // Parallel consumers and partition rebalances: order is lost within windows of 40 messages.
        for (var start = 0; start < messages.Count; start += 40)
        {
            var window = messages.GetRange(start, Math.Min(40, messages.Count - start)).ToArray();
            random.Shuffle(window);
            messages.RemoveRange(start, window.Length);
            messages.InsertRange(start, window);
        }

        // A publisher retry: 2% of messages arrive 300 to 1500 messages late.
        foreach (var late in messages.Where(_ => random.NextDouble() < 0.02).ToList())
        {
            var from = messages.IndexOf(late);
            messages.RemoveAt(from);
            messages.Insert(Math.Min(messages.Count, from + random.Next(300, 1500)), late);
        }

        // At-least-once: 10% of messages are delivered a second time, up to 800 messages later.
        var duplicates = 0;
        foreach (var copy in messages.Where(_ => random.NextDouble() < 0.10).ToList())
        {
            messages.Insert(Math.Min(messages.Count, messages.IndexOf(copy) + random.Next(1, 800)), copy);
            duplicates++;
        }

        var seen = new HashSet<Guid>();
        var highest = 0L;
        var outOfOrder = 0;
        foreach (var message in messages)
        {
            if (seen.Add(message.EventId))
            {
                outOfOrder += message.Position.Value < highest ? 1 : 0;
                highest = Math.Max(highest, message.Position.Value);
            }
        }

        return new Delivery(messages, duplicates, outOfOrder);
    }
}
