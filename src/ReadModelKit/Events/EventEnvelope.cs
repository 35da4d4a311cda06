using System.Text.Json;

namespace ReadModelKit.Events;

/// <summary>One event as the applier sees it, whatever the source (outbox, broker, test).</summary>
public sealed record EventEnvelope
{
    /// <summary>The event's unique id: the inbox dedupe key.</summary>
    public required Guid EventId { get; init; }

    /// <summary>The ordering key (the values of the contract's ordering scope, for example <c>"t1/c42"</c>): events of one key are applied in version order.</summary>
    public required string OrderingKey { get; init; }

    /// <summary>The per-key version (aggregate version or source sequence). Larger versions win.</summary>
    public required long Version { get; init; }

    /// <summary>The position in the source stream; <see cref="StreamPosition.Start"/> when the source has none.</summary>
    public StreamPosition Position { get; init; }

    /// <summary>The event type name (for example <c>CaseOpened</c>).</summary>
    public required string Type { get; init; }

    /// <summary>When the event happened at the source; drives the source watermark.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The event payload.</summary>
    public required JsonElement Payload { get; init; }
}
