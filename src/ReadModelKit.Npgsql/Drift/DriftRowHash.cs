namespace ReadModelKit.Npgsql.Drift;

/// <summary>How a cross-database check hashes a row (see docs/drift.md, "Canonical row encoding").</summary>
public enum DriftRowHash
{
    /// <summary>
    /// <see cref="Binary"/> when both servers hash a probe row identically (same byte order, same encoding, PostgreSQL 14+),
    /// otherwise <see cref="CanonicalText"/>. The default.
    /// </summary>
    Auto,

    /// <summary>
    /// Each value cast to the read-model column type and hashed by that type's own extended hash function, which agrees with its
    /// equality (1.0 = 1.00, -0 = 0, timestamps as UTC instants), with a seed per column position. About 4× cheaper than canonical text.
    /// </summary>
    Binary,

    /// <summary>
    /// <c>hashtextextended</c> over a canonical text: each value normalized (numerics without trailing zeros, timestamps in UTC, …),
    /// length-prefixed, NULL as a marker. Portable across byte orders and versions.
    /// </summary>
    CanonicalText,
}
