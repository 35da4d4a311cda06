using System.Globalization;
using System.Text;
using System.Text.Json;
using ReadModelKit.Contracts;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Events;

/// <summary>
/// Builds the envelopes of one contract's events so no ordering key is built by hand: the key is the values of the contract's
/// ordering-scope fields read from the payload (a field <c>tenant_id</c> matches a payload property <c>tenant_id</c>,
/// <c>tenantId</c> or <c>TenantId</c>), joined by <c>/</c> (a <c>/</c> or <c>%</c> inside a value is escaped as <c>%2F</c> or
/// <c>%25</c>, so distinct values never give the same key). Events missing a scope field or a version are refused. Thread-safe.
/// </summary>
public sealed class ContractEvents
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly string[] _fields;

    /// <summary>Creates the builder for <paramref name="contract"/>'s ordering scope.</summary>
    /// <param name="contract">The contract whose ordering scope names the key fields.</param>
    /// <exception cref="ArgumentException">The contract has no ordering scope.</exception>
    public ContractEvents(ProjectionContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        if (contract.OrderingScope is not { Count: > 0 })
        {
            throw new ArgumentException($"Contract '{contract.Name}' has no ordering scope: list the fields that order its events (for example tenant_id, case_id).", nameof(contract));
        }

        Contract = contract;
        _fields = [.. contract.OrderingScope.Select(Normalize)];
    }

    /// <summary>The contract.</summary>
    public ProjectionContract Contract { get; }

    /// <summary>Creates an envelope whose ordering key comes from <paramref name="payload"/>'s ordering-scope fields.</summary>
    /// <param name="type">The event type name.</param>
    /// <param name="payload">The payload: a <see cref="JsonElement"/> object as is, anything else serialized with the web defaults (camelCase) unless <paramref name="options"/> are given.</param>
    /// <param name="version">The per-key version (aggregate version or source sequence), at least 1.</param>
    /// <param name="occurredAt">When the event happened at the source.</param>
    /// <param name="eventId">The event's id; a new one when null.</param>
    /// <param name="options">Serializer options for the payload.</param>
    /// <exception cref="InvalidEventException">The version is below 1, the type is blank, or a scope field is missing or not a scalar.</exception>
    public EventEnvelope Create<TPayload>(string type, TPayload payload, long version, DateTimeOffset occurredAt, Guid? eventId = null, JsonSerializerOptions? options = null)
    {
        var id = eventId ?? Guid.NewGuid();
        var json = payload is JsonElement element ? element : JsonSerializer.SerializeToElement(payload, options ?? Web);
        var envelope = new EventEnvelope
        {
            EventId = id,
            OrderingKey = KeyOf(type, id, json),
            Version = version,
            Type = type,
            OccurredAt = occurredAt,
            Payload = json,
        };
        Validate(envelope, Contract.Name);
        return envelope;
    }

    /// <summary>
    /// Checks an envelope built elsewhere: it must have a type, an ordering key and a version of at least 1, and its ordering key must be
    /// the one its payload's scope fields give.
    /// </summary>
    /// <param name="envelope">The envelope.</param>
    /// <exception cref="InvalidEventException">Something is missing, or the key does not match the payload.</exception>
    public void Check(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        Validate(envelope, Contract.Name);
        var expected = KeyOf(envelope.Type, envelope.EventId, envelope.Payload);
        if (!string.Equals(expected, envelope.OrderingKey, StringComparison.Ordinal))
        {
            throw new InvalidEventException(envelope.Type, envelope.EventId, $"its ordering key '{envelope.OrderingKey}' is not the one its payload's ordering scope ({string.Join(", ", Contract.OrderingScope)}) gives: '{expected}'. Build envelopes with ContractEvents.Create instead of by hand.", Contract.Name);
        }
    }

    /// <summary>
    /// Checks what every event needs wherever it comes from: a type, an ordering key and a version of at least 1.
    /// </summary>
    /// <param name="envelope">The envelope.</param>
    /// <param name="projectionName">The projection concerned, if any (for the exception).</param>
    /// <exception cref="InvalidEventException">The type or ordering key is blank, or the version is below 1.</exception>
    public static void Validate(EventEnvelope envelope, string? projectionName = null)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var type = string.IsNullOrWhiteSpace(envelope.Type) ? "no type" : envelope.Type;
        if (string.IsNullOrWhiteSpace(envelope.Type))
        {
            throw new InvalidEventException(type, envelope.EventId, "its type is blank: give every event its type name (for example CaseOpened).", projectionName);
        }

        if (string.IsNullOrWhiteSpace(envelope.OrderingKey))
        {
            throw new InvalidEventException(type, envelope.EventId, "its ordering key is blank: events of one key are applied in version order, so every event needs one. Build envelopes with ContractEvents.Create, which derives it from the contract's ordering scope.", projectionName);
        }

        if (envelope.Version < 1)
        {
            throw new InvalidEventException(type, envelope.EventId, $"its version is {envelope.Version}: give every event its per-key version (aggregate version or source sequence), starting at 1, so newer events win over older ones.", projectionName);
        }
    }

    private string KeyOf(string type, Guid id, JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidEventException(type, id, $"its payload is a JSON {payload.ValueKind}, not an object holding the ordering scope fields ({string.Join(", ", Contract.OrderingScope)}).", Contract.Name);
        }

        var values = new string?[_fields.Length];
        foreach (var property in payload.EnumerateObject())
        {
            var index = Array.IndexOf(_fields, Normalize(property.Name));
            if (index >= 0)
            {
                values[index] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                    _ => null,
                };
            }
        }

        var missing = Contract.OrderingScope.Where((_, i) => string.IsNullOrEmpty(values[i])).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidEventException(type, id, $"its payload lacks the ordering scope field(s) {string.Join(", ", missing)} of contract '{Contract.Name}' (or holds null, an empty string, an object or an array there): add them to the event so its ordering key can be derived.", Contract.Name);
        }

        return string.Join('/', values.Select(v => v!.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal)));
    }

    private static string Normalize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (c != '_')
            {
                builder.Append(char.ToLower(c, CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
