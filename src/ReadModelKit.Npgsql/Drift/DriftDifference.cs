using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>One key where the read model disagrees with its source.</summary>
/// <param name="Key">The row key.</param>
/// <param name="Kind">Missing, extra or changed.</param>
/// <param name="Expected">The mapped values the source says the row should hold, as a JSON object; null when the source has no row (extra).</param>
/// <param name="Actual">The mapped values the read model holds, as a JSON object; null when it has no live row (missing).</param>
public sealed record DriftDifference(RowKey Key, DriftKind Kind, string? Expected, string? Actual)
{
    /// <summary>The difference as one line.</summary>
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} {Key}: expected {Expected ?? "(none)"}, actual {Actual ?? "(none)"}";
}
