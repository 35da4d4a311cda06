using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ReadModelKit.Privacy;

/// <summary>
/// Replaces personal-data values by keyed digests (<c>masked:</c> and 12 hex digits of an HMAC-SHA256): equal values give equal
/// digests under one key, so "differs" and "equal" stay visible, and the value itself never appears. JSON <c>null</c> stays
/// <c>null</c>. Digests are comparable only between maskers with the same key; <see cref="Ephemeral"/> makes a random key, whose
/// digests are comparable only within one process lifetime. Thread-safe.
/// </summary>
public sealed class PiiMasker
{
    /// <summary>The prefix of every digest.</summary>
    public const string Prefix = "masked:";

    /// <summary>The smallest key accepted, in bytes.</summary>
    public const int MinKeyBytes = 16;

    /// <summary>Values shorter than this are not searched for in free text (they would garble it and identify no one).</summary>
    public const int MinTextLength = 3;

    private const int DigestHexLength = 12;
    private readonly byte[] _key;

    /// <summary>Creates a masker with a fixed key, so digests are comparable across processes and restarts.</summary>
    /// <param name="key">The secret key, at least <see cref="MinKeyBytes"/> bytes.</param>
    /// <exception cref="ArgumentException">The key is shorter than <see cref="MinKeyBytes"/> bytes.</exception>
    public PiiMasker(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"A PII digest key needs at least {MinKeyBytes} bytes; this one has {key.Length}. Generate one with RandomNumberGenerator.GetBytes(32).", nameof(key));
        }

        _key = (byte[])key.Clone();
    }

    /// <summary>A masker with a random key: its digests are comparable only within this process lifetime.</summary>
    public static PiiMasker Ephemeral() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether <paramref name="text"/> has the shape of a digest.</summary>
    /// <param name="text">Any text.</param>
    public static bool IsDigest(string? text) =>
        text is { Length: 19 } && text.StartsWith(Prefix, StringComparison.Ordinal) && text.AsSpan(Prefix.Length).ContainsAnyExcept("0123456789abcdef") is false;

    /// <summary>The digest of a JSON value (strings by their content, other values by their JSON text).</summary>
    /// <param name="value">The value; must not be <c>null</c> or undefined.</param>
    public string Digest(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? Hash("s:" + value.GetString()) : Hash("j:" + value.GetRawText());

    /// <summary>The digest of a text value, equal to <see cref="Digest(JsonElement)"/> of the same JSON string.</summary>
    /// <param name="value">The text.</param>
    public string Digest(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Hash("s:" + value);
    }

    /// <summary>Replaces the values of <paramref name="columns"/> in a row (a JSON object keyed by column name) by digests.</summary>
    /// <param name="rowJson">The row as a JSON object, or null.</param>
    /// <param name="columns">The masked column names.</param>
    /// <returns>The masked row, or <paramref name="rowJson"/> itself when nothing had to change.</returns>
    public string? MaskRow(string? rowJson, IReadOnlySet<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (rowJson is null || columns.Count == 0)
        {
            return rowJson;
        }

        using var document = JsonDocument.Parse(rowJson);
        return PiiJson.Rewrite(document.RootElement, columns.Contains, anyDepth: false, (writer, _, value) => writer.WriteStringValue(Digest(value)))
            ?? rowJson;
    }

    /// <summary>Replaces the values of properties named in <paramref name="isHidden"/>, at any depth, by digests.</summary>
    /// <param name="payload">The event payload.</param>
    /// <param name="isHidden">Whether a property name is hidden.</param>
    /// <returns>The masked payload as JSON text.</returns>
    public string MaskPayload(JsonElement payload, Func<string, bool> isHidden)
    {
        ArgumentNullException.ThrowIfNull(isHidden);
        return PiiJson.Rewrite(payload, isHidden, anyDepth: true, (writer, _, value) => writer.WriteStringValue(Digest(value)))
            ?? PiiJson.RawText(payload);
    }

    /// <summary>
    /// Replaces every occurrence of the given values in free text (an error message) by their digests. Strings are searched as
    /// they are and as escaped in JSON; values shorter than <see cref="MinTextLength"/> are left alone.
    /// </summary>
    /// <param name="text">The text, or null.</param>
    /// <param name="values">The hidden values (from <see cref="PiiJson.Collect"/>).</param>
    public string? MaskText(string? text, IEnumerable<JsonElement> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        var needles = new List<(string Needle, string Digest)>();
        foreach (var value in values)
        {
            var digest = Digest(value);
            needles.Add((value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText(), digest));
            if (value.ValueKind == JsonValueKind.String)
            {
                var raw = value.GetRawText();
                needles.Add((raw[1..^1], digest));
            }
        }

        foreach (var (needle, digest) in needles.Where(n => n.Needle.Length >= MinTextLength).OrderByDescending(n => n.Needle.Length))
        {
            text = text.Replace(needle, digest, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>
    /// Returns <paramref name="error"/> itself when its text quotes none of <paramref name="values"/>; otherwise a
    /// <see cref="MaskedException"/> carrying its message and full text with those values masked (<see cref="MaskText"/>).
    /// </summary>
    /// <param name="error">The error.</param>
    /// <param name="values">The hidden values (from <see cref="PiiJson.Collect"/>).</param>
    public Exception MaskException(Exception error, IReadOnlyCollection<JsonElement> values)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return error;
        }

        var text = error.ToString();
        var masked = MaskText(text, values)!;
        return string.Equals(text, masked, StringComparison.Ordinal)
            ? error
            : new MaskedException(error.GetType().FullName ?? error.GetType().Name, MaskText(error.Message, values)!, masked);
    }

    private string Hash(string canonical)
    {
        var bytes = Encoding.UTF8.GetBytes(canonical);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, bytes, mac);
        return Prefix + Convert.ToHexString(mac[..(DigestHexLength / 2)]).ToLowerInvariant();
    }
}
