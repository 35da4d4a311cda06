using System.Globalization;

namespace ReadModelKit.Events;

/// <summary>A position in a source stream (an outbox position or a broker offset). Positions only grow.</summary>
/// <param name="Value">The position; 0 means "before the first event".</param>
public readonly record struct StreamPosition(long Value) : IComparable<StreamPosition>
{
    /// <summary>The position before the first event.</summary>
    public static StreamPosition Start { get; } = new(0);

    /// <inheritdoc />
    public int CompareTo(StreamPosition other) => Value.CompareTo(other.Value);

    /// <summary>Whether <paramref name="left"/> is before <paramref name="right"/>.</summary>
    public static bool operator <(StreamPosition left, StreamPosition right) => left.Value < right.Value;

    /// <summary>Whether <paramref name="left"/> is after <paramref name="right"/>.</summary>
    public static bool operator >(StreamPosition left, StreamPosition right) => left.Value > right.Value;

    /// <summary>Whether <paramref name="left"/> is at or before <paramref name="right"/>.</summary>
    public static bool operator <=(StreamPosition left, StreamPosition right) => left.Value <= right.Value;

    /// <summary>Whether <paramref name="left"/> is at or after <paramref name="right"/>.</summary>
    public static bool operator >=(StreamPosition left, StreamPosition right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
