namespace ReadModelKit.Npgsql.Drift;

/// <summary>One row of the <c>drift_incident</c> table.</summary>
/// <param name="Id">The incident id.</param>
/// <param name="ProjectionName">The projection.</param>
/// <param name="Key">The row key as a JSON array, in key-column order.</param>
/// <param name="Kind">Missing, extra or changed.</param>
/// <param name="Expected">The values the source says the row should hold (JSON), or null.</param>
/// <param name="Actual">The values the read model held (JSON), or null.</param>
/// <param name="DetectedAt">When a check first recorded it.</param>
/// <param name="LastDetectedAt">When a check last saw it.</param>
/// <param name="RepairedAt">When a repair fixed it, or null while open.</param>
public sealed record DriftIncident(
    long Id,
    string ProjectionName,
    string Key,
    DriftKind Kind,
    string? Expected,
    string? Actual,
    DateTimeOffset DetectedAt,
    DateTimeOffset LastDetectedAt,
    DateTimeOffset? RepairedAt);
