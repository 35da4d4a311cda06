namespace ReadModelKit.Contracts;

/// <summary>
/// The design card of a projection: what it reads, how it stays idempotent, how fresh it must be,
/// how it is rebuilt, who consumes it and which personal data it holds. Declare it with an object
/// initializer, validate it with <see cref="ProjectionContractValidator"/> (the DI builder does so at
/// registration) and print it with <see cref="DesignCardWriter"/> for design reviews.
/// </summary>
public sealed record ProjectionContract
{
    /// <summary>The projection's unique name (lowercase letters, digits, underscores; at most 63 characters).</summary>
    public required string Name { get; init; }

    /// <summary>The version of the projection logic. Default 1; a rebuild into a new version increments it.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Where the projection's input comes from.</summary>
    public required ProjectionSource Source { get; init; }

    /// <summary>The fields whose values order events: events of one key are applied in version order (for example <c>tenant_id</c>, <c>case_id</c>).</summary>
    public required IReadOnlyList<string> OrderingScope { get; init; }

    /// <summary>How duplicates are made harmless. Default <see cref="IdempotencyMode.Inbox"/>.</summary>
    public IdempotencyMode Idempotency { get; init; } = IdempotencyMode.Inbox;

    /// <summary>The envelope field that identifies an event for the inbox. Default <c>event_id</c>.</summary>
    public string IdempotencyKey { get; init; } = "event_id";

    /// <summary>Expected and maximum lag. Default 5 s expected, 30 s maximum.</summary>
    public FreshnessContract Freshness { get; init; } = FreshnessContract.Default;

    /// <summary>What consumers do when the projection is stale. Default <see cref="StaleBehavior.ShowFreshnessBanner"/>.</summary>
    public StaleBehavior StaleBehavior { get; init; } = StaleBehavior.ShowFreshnessBanner;

    /// <summary>How the projection is rebuilt. Default <see cref="RebuildMethod.ReplayEvents"/>.</summary>
    public RebuildMethod Rebuild { get; init; } = RebuildMethod.ReplayEvents;

    /// <summary>What happens to an event that keeps failing. Default <see cref="FailurePolicy.DeadLetterAndContinue"/>.</summary>
    public FailurePolicy FailurePolicy { get; init; } = FailurePolicy.DeadLetterAndContinue;

    /// <summary>The consumers that read this projection (UIs, APIs). Default none.</summary>
    public IReadOnlyList<string> Consumers { get; init; } = [];

    /// <summary>Whether rows are tenant scoped. Default not tenant scoped.</summary>
    public TenantScoping Tenancy { get; init; } = TenantScoping.None;

    /// <summary>Personal-data fields the projection handles. Default none.</summary>
    public IReadOnlyList<PiiField> PiiFields { get; init; } = [];

    /// <inheritdoc />
    public bool Equals(ProjectionContract? other) =>
        other is not null
        && Name == other.Name
        && Version == other.Version
        && Equals(Source, other.Source)
        && OrderingScope.SequenceEqual(other.OrderingScope)
        && Idempotency == other.Idempotency
        && IdempotencyKey == other.IdempotencyKey
        && Equals(Freshness, other.Freshness)
        && StaleBehavior == other.StaleBehavior
        && Rebuild == other.Rebuild
        && FailurePolicy == other.FailurePolicy
        && Consumers.SequenceEqual(other.Consumers)
        && Equals(Tenancy, other.Tenancy)
        && PiiFields.SequenceEqual(other.PiiFields);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Version, Source, Idempotency, Freshness);
}
