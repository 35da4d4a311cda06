namespace ReadModelKit.Npgsql.Drift;

/// <summary>How a read-model row disagrees with what its source says it should be.</summary>
public enum DriftKind
{
    /// <summary>The source has the key; the read model has no live row for it (absent or tombstoned).</summary>
    Missing = 1,

    /// <summary>The read model has a live row whose key the source does not return.</summary>
    Extra = 2,

    /// <summary>Both have the key, and at least one mapped value column differs (NULL-safe).</summary>
    Changed = 3,
}
