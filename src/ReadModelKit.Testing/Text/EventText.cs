using System.Globalization;
using System.Text;
using ReadModelKit.Events;

namespace ReadModelKit.Testing.Text;

/// <summary>Prints events and histories the way the testing helpers report them.</summary>
public static class EventText
{
    /// <summary>One event: <c>CaseOpened key=t1/7 v2 pos 3 id 0000002a payload {"caseId":7}</c>.</summary>
    /// <param name="envelope">The event.</param>
    public static string Format(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return string.Create(CultureInfo.InvariantCulture,
            $"{envelope.Type} key={envelope.OrderingKey} v{envelope.Version} pos {envelope.Position.Value} id {envelope.EventId.ToString("N")[..8]} payload {envelope.Payload.GetRawText()}");
    }

    /// <summary>Numbered lines, one per event, indented by <paramref name="indent"/>.</summary>
    /// <param name="events">The events.</param>
    /// <param name="indent">The indentation.</param>
    public static string Lines(IEnumerable<EventEnvelope> events, string indent = "  ")
    {
        ArgumentNullException.ThrowIfNull(events);
        var text = new StringBuilder();
        var i = 1;
        foreach (var e in events)
        {
            text.Append(indent).Append(i++.ToString(CultureInfo.InvariantCulture)).Append(". ").AppendLine(Format(e));
        }

        return text.ToString();
    }

    /// <summary>Batches as <c>[1, 2] [3]</c>, each event by its number in <paramref name="history"/>.</summary>
    /// <param name="batches">The batches.</param>
    /// <param name="history">The numbered history.</param>
    public static string Batches(IEnumerable<IReadOnlyList<EventEnvelope>> batches, IReadOnlyList<EventEnvelope> history)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(history);
        var number = history.Select((e, i) => (e.EventId, i)).ToDictionary(x => x.EventId, x => x.i + 1);
        return string.Join(" ", batches.Select(b => "[" + string.Join(", ", b.Select(e => number.TryGetValue(e.EventId, out var n) ? n.ToString(CultureInfo.InvariantCulture) : "?")) + "]"));
    }
}
