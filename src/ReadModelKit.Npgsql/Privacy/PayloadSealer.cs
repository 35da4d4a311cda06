using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ReadModelKit.Npgsql.Privacy;

/// <summary>
/// Seals payload values with AES-GCM under the configured <see cref="NpgsqlReadModelOptions.PiiSealingKey"/>: a sealed value is
/// stored as <c>{"$sealed": "base64(nonce | tag | ciphertext)"}</c> and opened only to replay the event. Thread-safe.
/// </summary>
internal sealed class PayloadSealer
{
    /// <summary>The property name of a sealed value's marker object.</summary>
    public const string Marker = "$sealed";

    /// <summary>The key size, in bytes.</summary>
    public const int KeyBytes = 32;

    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private readonly byte[] _key;

    public PayloadSealer(byte[] key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"A PII sealing key has exactly {KeyBytes} bytes; this one has {key.Length}.", nameof(key));
        }

        _key = (byte[])key.Clone();
    }

    /// <summary>Whether <paramref name="value"/> is a sealed-value marker.</summary>
    public static bool IsSealed(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object
        && value.EnumerateObject().Count() == 1
        && value.TryGetProperty(Marker, out var sealedText)
        && sealedText.ValueKind == JsonValueKind.String;

    /// <summary>Writes the sealed marker of one value.</summary>
    public void WriteSealed(Utf8JsonWriter writer, JsonElement value)
    {
        var plain = Encoding.UTF8.GetBytes(value.GetRawText());
        var sealedBytes = new byte[NonceBytes + TagBytes + plain.Length];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_key, TagBytes))
        {
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes));
        }

        writer.WriteStartObject();
        writer.WriteString(Marker, Convert.ToBase64String(sealedBytes));
        writer.WriteEndObject();
    }

    /// <summary>Opens a sealed marker; returns the value's JSON text, or null when this key cannot open it.</summary>
    public string? TryOpen(JsonElement marker)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(marker.GetProperty(Marker).GetString()!);
        }
        catch (FormatException)
        {
            return null;
        }

        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            return null;
        }

        var plain = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(_key, TagBytes);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), plain);
        }
        catch (CryptographicException)
        {
            return null;
        }

        return Encoding.UTF8.GetString(plain);
    }
}
