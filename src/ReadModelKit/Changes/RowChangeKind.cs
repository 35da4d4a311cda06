namespace ReadModelKit.Changes;

/// <summary>What a row change does to its row.</summary>
public enum RowChangeKind
{
    /// <summary>Insert the row or replace its values, if the version is newer.</summary>
    Upsert,

    /// <summary>Hide the row behind a versioned tombstone, so a late older upsert cannot resurrect it.</summary>
    Tombstone,

    /// <summary>Replace the row with what the source says it should be (aggregate tables): counts and sums are recomputed, never incremented twice.</summary>
    Recompute,
}
