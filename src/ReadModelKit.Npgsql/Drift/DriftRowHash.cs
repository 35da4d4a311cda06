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
    /// <c>hash_record_extended</c> over the values cast to the read-model column types: each type's own hash function, which agrees
    /// with its equality (1.0 = 1.00, -0 = 0, timestamps as UTC instants). About 2-3× cheaper than canonical text.
    /// </summary>
    Binary,

    /// <summary>
    /// <c>hashtextextended</c> over a canonical text: each value normalized (numerics without trailing zeros, timestamps in UTC, …),
    /// length-prefixed, NULL as a marker. Portable across byte orders and versions.
    /// </summary>
    CanonicalText,
}
