namespace ReadModelKit.Npgsql.Drift;

/// <summary>How a drift check compares the source with the read model.</summary>
public enum DriftStrategy
{
    /// <summary>Source and read model live in one database: key-range chunks joined inside one REPEATABLE READ snapshot.</summary>
    SameDatabase,

    /// <summary>
    /// Source and read model live on different servers: both sides hash key-range blocks, blocks that differ are split
    /// and hashed again, rows are compared only in small leaf blocks, and full rows are fetched only for differing keys.
    /// </summary>
    CrossDatabase,
}
