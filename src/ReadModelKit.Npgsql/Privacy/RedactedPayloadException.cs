using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Privacy;

/// <summary>
/// A dead letter cannot be replayed because personal data in its payload was stored as digests (no
/// <see cref="NpgsqlReadModelOptions.PiiSealingKey"/> was configured when it was stored, or the payload was purged) or was sealed
/// with a key that is no longer configured. Nothing was replayed.
/// </summary>
public sealed class RedactedPayloadException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="eventId">The event whose payload cannot be restored.</param>
    /// <param name="fields">The payload fields that cannot be restored.</param>
    /// <param name="sealedWithOtherKey">Whether the fields are sealed with a key this store does not have (rather than redacted).</param>
    public RedactedPayloadException(string projectionName, Guid eventId, IReadOnlyCollection<string> fields, bool sealedWithOtherKey)
        : base(
            sealedWithOtherKey
                ? $"Dead letter of event {eventId} of projection '{projectionName}' cannot be replayed: field(s) {string.Join(", ", fields)} are sealed with a PiiSealingKey this store does not have. Configure the key it was sealed with, or skip the event (DeadLetterStore.SkipAsync) and re-deliver it from its source."
                : $"Dead letter of event {eventId} of projection '{projectionName}' cannot be replayed: field(s) {string.Join(", ", fields)} hold personal data that was stored as digests (no PiiSealingKey was configured, or the payload was purged). Skip the event (DeadLetterStore.SkipAsync) and re-deliver it from its source; configure NpgsqlReadModelOptions.PiiSealingKey so later dead letters can be replayed.",
            projectionName)
    {
        EventId = eventId;
        Fields = fields;
    }

    /// <summary>The event whose payload cannot be restored.</summary>
    public Guid EventId { get; }

    /// <summary>The payload fields that cannot be restored.</summary>
    public IReadOnlyCollection<string> Fields { get; }
}
