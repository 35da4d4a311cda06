using System.Text.Json;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Privacy;

namespace ReadModelKit.Npgsql.Privacy;

/// <summary>
/// Applies one projection's <see cref="PiiPolicy"/> wherever the library stores or shows its data: drift differences, dead-letter
/// payloads at rest (sealed or redacted), listings, error texts and exceptions. With an empty policy every method returns its input.
/// </summary>
internal sealed class ProjectionPrivacy
{
    private readonly string _projectionName;
    private readonly PiiMasker _masker;
    private readonly PayloadSealer? _sealer;

    public ProjectionPrivacy(string projectionName, PiiPolicy policy, PiiMasker masker, PayloadSealer? sealer)
    {
        _projectionName = projectionName;
        Policy = policy;
        _masker = masker;
        _sealer = sealer;
    }

    /// <summary>The projection's policy.</summary>
    public PiiPolicy Policy { get; }

    /// <summary>A drift difference with the masked columns of both sides replaced by digests.</summary>
    public DriftDifference Mask(DriftDifference difference) =>
        Policy.MaskedColumns.Count == 0
            ? difference
            : difference with { Expected = _masker.MaskRow(difference.Expected, Policy.MaskedColumns), Actual = _masker.MaskRow(difference.Actual, Policy.MaskedColumns) };

    /// <summary>How a value of <paramref name="column"/> may appear in an error message: as is, or as its digest for a masked column.</summary>
    public string Describe(string column, object? value) =>
        value is not null && Policy.MaskedColumns.Contains(column)
            ? _masker.Digest(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "")
            : value?.ToString() ?? "null";

    /// <summary>
    /// The payload as stored in <c>dead_letter</c>: masked and prohibited fields sealed when a sealing key is configured, as digests
    /// otherwise; never in the clear.
    /// </summary>
    public string PayloadAtRest(JsonElement payload)
    {
        if (Policy.IsEmpty || payload.ValueKind == JsonValueKind.Undefined)
        {
            return PiiJson.RawText(payload);
        }

        if (_sealer is null)
        {
            return _masker.MaskPayload(payload, Policy.HidesField);
        }

        return PiiJson.Rewrite(payload, Policy.HidesField, anyDepth: true, (writer, _, value) =>
            {
                if (PayloadSealer.IsSealed(value) || (value.ValueKind == JsonValueKind.String && PiiMasker.IsDigest(value.GetString())))
                {
                    value.WriteTo(writer);
                }
                else
                {
                    _sealer.WriteSealed(writer, value);
                }
            }) ?? payload.GetRawText();
    }

    /// <summary>A stored payload as listings show it: every hidden field as a digest (sealed values are opened to digest them).</summary>
    public JsonElement ForListing(JsonElement stored) => Parse(ToDigests(stored) ?? PiiJson.RawText(stored));

    /// <summary>The stored payload with sealed and clear hidden values replaced by digests, or null when nothing changes.</summary>
    public string? ToDigests(JsonElement stored)
    {
        if (Policy.IsEmpty || stored.ValueKind == JsonValueKind.Undefined)
        {
            return null;
        }

        var changed = false;
        var text = PiiJson.Rewrite(stored, Policy.HidesField, anyDepth: true, (writer, _, value) =>
        {
            if (value.ValueKind == JsonValueKind.String && PiiMasker.IsDigest(value.GetString()))
            {
                value.WriteTo(writer);
                return;
            }

            changed = true;
            if (PayloadSealer.IsSealed(value) && _sealer?.TryOpen(value) is { } opened)
            {
                using var document = JsonDocument.Parse(opened);
                writer.WriteStringValue(_masker.Digest(document.RootElement));
            }
            else
            {
                writer.WriteStringValue(_masker.Digest(value));
            }
        });
        return changed ? text : null;
    }

    /// <summary>The payload a replay hands to the projection: sealed values opened.</summary>
    /// <exception cref="RedactedPayloadException">A hidden value was redacted, or sealed with another key.</exception>
    public JsonElement ForReplay(Guid eventId, JsonElement stored)
    {
        if (Policy.IsEmpty || stored.ValueKind == JsonValueKind.Undefined)
        {
            return stored;
        }

        var redacted = new SortedSet<string>(StringComparer.Ordinal);
        var unopened = new SortedSet<string>(StringComparer.Ordinal);
        var opened = PiiJson.Rewrite(stored, Policy.HidesField, anyDepth: true, (writer, name, value) =>
        {
            if (PayloadSealer.IsSealed(value))
            {
                if (_sealer?.TryOpen(value) is { } plain)
                {
                    writer.WriteRawValue(plain);
                    return;
                }

                unopened.Add(name);
            }
            else if (value.ValueKind == JsonValueKind.String && PiiMasker.IsDigest(value.GetString()))
            {
                redacted.Add(name);
            }

            value.WriteTo(writer);
        });
        if (redacted.Count > 0 || unopened.Count > 0)
        {
            throw new RedactedPayloadException(_projectionName, eventId, [.. redacted.Concat(unopened).Distinct()], sealedWithOtherKey: redacted.Count == 0);
        }

        return opened is null ? stored : Parse(opened);
    }

    /// <summary>An error text with the payload's hidden values replaced by their digests.</summary>
    public string? MaskError(string? error, JsonElement payload) =>
        Policy.IsEmpty || payload.ValueKind == JsonValueKind.Undefined ? error : _masker.MaskText(error, PiiJson.Collect(payload, Policy.HidesField));

    /// <summary>The error itself, or a <see cref="MaskedException"/> when its text quotes a hidden value of the payload.</summary>
    public Exception MaskException(Exception error, JsonElement payload) =>
        Policy.IsEmpty || payload.ValueKind == JsonValueKind.Undefined ? error : _masker.MaskException(error, PiiJson.Collect(payload, Policy.HidesField));

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
