using System.Globalization;

namespace ReadModelKit.Hosting.Commands;

/// <summary>Durations typed on the command line: a number with <c>ms</c>, <c>s</c> or <c>m</c> (<c>50ms</c>, <c>2s</c>), or a time span (<c>00:00:02</c>).</summary>
internal static class DurationText
{
    public static TimeSpan Parse(string text, string option, string? projection)
    {
        var trimmed = text.Trim();
        foreach (var (suffix, unit) in new[] { ("ms", TimeSpan.FromMilliseconds(1)), ("s", TimeSpan.FromSeconds(1)), ("m", TimeSpan.FromMinutes(1)) })
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(trimmed[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                && amount >= 0 && amount * unit.TotalMilliseconds <= TimeSpan.MaxValue.TotalMilliseconds / 2)
            {
                return unit * amount;
            }
        }

        // A bare number is refused: TimeSpan would read '5' as five days.
        if (trimmed.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new CommandUsageException($"Bad duration '{text}' for {option}: type a number with ms, s or m (or hh:mm:ss), for example {option} 50ms or {option} 2s.", projection);
    }
}
