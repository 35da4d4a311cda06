using System.Text;
using System.Text.Json;

namespace ReadModelKit.Privacy;

/// <summary>Rewrites and searches JSON documents by property name, for masking, sealing and purging personal data.</summary>
public static class PiiJson
{
    /// <summary>
    /// Copies <paramref name="root"/>, writing the value of every property whose name <paramref name="isTarget"/> accepts through
    /// <paramref name="replace"/> (JSON <c>null</c> values are kept). With <paramref name="anyDepth"/> nested objects and arrays are
    /// searched too; a replaced value is not searched further.
    /// </summary>
    /// <param name="root">The document.</param>
    /// <param name="isTarget">Whether a property name is replaced.</param>
    /// <param name="anyDepth">Search nested objects and arrays, or only the root object's own properties.</param>
    /// <param name="replace">Writes the replacement of one value, given the property name and the value.</param>
    /// <returns>The rewritten JSON text, or null when no property was replaced.</returns>
    public static string? Rewrite(JsonElement root, Func<string, bool> isTarget, bool anyDepth, Action<Utf8JsonWriter, string, JsonElement> replace)
    {
        ArgumentNullException.ThrowIfNull(isTarget);
        ArgumentNullException.ThrowIfNull(replace);
        if (root.ValueKind == JsonValueKind.Undefined || !Contains(root, isTarget, anyDepth, depth: 0))
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, root, isTarget, anyDepth, replace, depth: 0);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The non-null values of every property whose name <paramref name="isTarget"/> accepts, at any depth.</summary>
    /// <param name="root">The document.</param>
    /// <param name="isTarget">Whether a property name is collected.</param>
    public static IReadOnlyList<JsonElement> Collect(JsonElement root, Func<string, bool> isTarget)
    {
        ArgumentNullException.ThrowIfNull(isTarget);
        var found = new List<JsonElement>();
        CollectInto(root, isTarget, found);
        return found;
    }

    /// <summary>The JSON text of an element; <c>null</c> for an undefined (default) element.</summary>
    /// <param name="element">The element.</param>
    public static string RawText(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? "null" : element.GetRawText();

    private static bool Contains(JsonElement element, Func<string, bool> isTarget, bool anyDepth, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (isTarget(property.Name) && property.Value.ValueKind != JsonValueKind.Null)
                    {
                        return true;
                    }

                    if (anyDepth && Contains(property.Value, isTarget, anyDepth, depth + 1))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array when anyDepth:
                return element.EnumerateArray().Any(item => Contains(item, isTarget, anyDepth, depth + 1));
            default:
                return false;
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element, Func<string, bool> isTarget, bool anyDepth, Action<Utf8JsonWriter, string, JsonElement> replace, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when depth == 0 || anyDepth:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    if (isTarget(property.Name) && property.Value.ValueKind != JsonValueKind.Null)
                    {
                        replace(writer, property.Name, property.Value);
                    }
                    else
                    {
                        Write(writer, property.Value, isTarget, anyDepth, replace, depth + 1);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array when anyDepth:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item, isTarget, anyDepth, replace, depth + 1);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static void CollectInto(JsonElement element, Func<string, bool> isTarget, List<JsonElement> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (isTarget(property.Name))
                    {
                        if (property.Value.ValueKind != JsonValueKind.Null)
                        {
                            found.Add(property.Value);
                        }
                    }
                    else
                    {
                        CollectInto(property.Value, isTarget, found);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectInto(item, isTarget, found);
                }

                break;
        }
    }
}
