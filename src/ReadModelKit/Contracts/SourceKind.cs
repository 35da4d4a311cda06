namespace ReadModelKit.Contracts;

/// <summary>Where a projection's input comes from.</summary>
public enum SourceKind
{
    /// <summary>A transactional outbox table in the authoritative PostgreSQL database.</summary>
    Outbox,

    /// <summary>A broker topic consumed by the application (at-least-once, any order).</summary>
    BrokerTopic,

    /// <summary>Canonical tables recomputed directly (state-sourced projection).</summary>
    CanonicalTables,
}
