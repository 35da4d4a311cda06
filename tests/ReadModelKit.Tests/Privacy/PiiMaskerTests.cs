using System.Text.Json;
using System.Text.Json.Nodes;
using ReadModelKit.Privacy;

namespace ReadModelKit.Tests.Privacy;

public sealed class PiiMaskerTests
{
    private const string Hidden = "secret";

    private static readonly PiiMasker Masker = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    /// <summary>Hidden values: distinctive text (with characters JSON escapes), large numbers, or objects holding such text.</summary>
    private static readonly Gen<JsonNode> SecretValue = Gen.OneOf(
        from body in Gen.Elements("Ana Lima", "José \"Pepe\" Núñez", "a\\b/c", "李小龍", "O'Brien\n Jr.", "Ana Lima ")
        from n in Gen.Choose(100, 999)
        select (JsonNode)JsonValue.Create($"Ω{n} {body}"),
        Gen.Choose(1_000_000, 9_999_999).Select(n => (JsonNode)JsonValue.Create(n * 10L + 7)),
        Gen.Choose(100, 999).Select(n => (JsonNode)new JsonObject { ["inner"] = $"Ω{n} nested" }));

    private static readonly Gen<JsonNode?> VisibleLeaf = Gen.OneOf(
        Gen.Elements<JsonNode?>(null, JsonValue.Create(true), JsonValue.Create(""), JsonValue.Create("x"), JsonValue.Create("open")),
        Gen.Choose(-5, 5).Select(n => (JsonNode?)JsonValue.Create(n)));

    private static Gen<JsonNode?> Node(int depth) =>
        depth == 0 ? VisibleLeaf : Gen.OneOf(VisibleLeaf, Object(depth - 1), Array(depth - 1));

    private static Gen<JsonNode?> Array(int depth) =>
        Gen.ListOf(Node(depth)).Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())]));

    private static Gen<JsonNode?> Object(int depth) =>
        Gen.ListOf(
                from name in Gen.Elements("a", "b", "list", Hidden)
                from value in name == Hidden ? Gen.Frequency((4, SecretValue.Select(s => (JsonNode?)s)), (1, Gen.Constant<JsonNode?>(null))) : Node(depth)
                select (name, value))
            .Select(properties =>
            {
                var node = new JsonObject();
                foreach (var (name, value) in properties)
                {
                    node[name] = value?.DeepClone();
                }

                return (JsonNode?)node;
            });

    private static readonly Gen<JsonObject> Payload = Object(3).Select(n => (JsonObject)n!);

    [Fact]
    public void A_masked_payload_never_contains_a_hidden_value()
    {
        Prop.ForAll(Payload.ToArbitrary(), payload =>
            {
                var input = JsonSerializer.SerializeToElement(payload);
                var output = Masker.MaskPayload(input, n => n == Hidden);
                var parsed = JsonNode.Parse(output)!;
                return SecretTexts(payload).All(secret => !output.Contains(secret, StringComparison.Ordinal) && !AllStrings(parsed).Any(s => s.Contains(secret, StringComparison.Ordinal)));
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_masked_payload_keeps_every_visible_field_and_turns_each_hidden_value_into_a_digest()
    {
        Prop.ForAll(Payload.ToArbitrary(), payload =>
            {
                var output = JsonNode.Parse(Masker.MaskPayload(JsonSerializer.SerializeToElement(payload), n => n == Hidden))!;
                var hiddenOut = HiddenValues(output).ToList();
                var hiddenIn = HiddenValues(payload).ToList();
                return JsonNode.DeepEquals(WithoutHidden(payload), WithoutHidden(output))
                    && hiddenIn.Count == hiddenOut.Count
                    && hiddenIn.Zip(hiddenOut).All(p => p.First is null ? p.Second is null : PiiMasker.IsDigest(p.Second?.GetValue<string>()));
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Equal_values_give_equal_digests_and_different_values_different_ones()
    {
        Prop.ForAll(SecretValue.ToArbitrary(), SecretValue.ToArbitrary(), (a, b) =>
            {
                var da = Masker.Digest(JsonSerializer.SerializeToElement(a));
                var db = Masker.Digest(JsonSerializer.SerializeToElement(b));
                var payload = JsonSerializer.SerializeToElement(new JsonObject { ["x"] = new JsonObject { [Hidden] = a.DeepClone() }, [Hidden] = a.DeepClone() });
                var masked = JsonNode.Parse(Masker.MaskPayload(payload, n => n == Hidden))!;
                return (da == db) == JsonNode.DeepEquals(a, b)
                    && masked[Hidden]!.GetValue<string>() == da
                    && masked["x"]![Hidden]!.GetValue<string>() == da;
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Masked_text_never_contains_a_hidden_value()
    {
        Prop.ForAll(SecretValue.Where(v => v is JsonValue).ToArbitrary(), Gen.Elements("", "Handler failed: ", "bad value '").ToArbitrary(), (secret, prefix) =>
            {
                var element = JsonSerializer.SerializeToElement(secret);
                var plain = element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
                var escaped = element.ValueKind == JsonValueKind.String ? element.GetRawText()[1..^1] : plain;
                var masked = Masker.MaskText($"{prefix}{plain} and in JSON {{\"secret\":{element.GetRawText()}}} ({escaped})", [element])!;
                return !masked.Contains(plain, StringComparison.Ordinal) && !masked.Contains(escaped, StringComparison.Ordinal)
                    && masked.Contains(Masker.Digest(element), StringComparison.Ordinal) && masked.StartsWith(prefix, StringComparison.Ordinal);
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_row_is_masked_by_column_name_at_the_top_level_only()
    {
        var row = """{"status": "open", "party_display_name": "Ana Lima", "nested": {"party_display_name": "kept"}, "n": null}""";
        var masked = JsonNode.Parse(Masker.MaskRow(row, new HashSet<string> { "party_display_name", "n" })!)!;

        Assert.Equal(Masker.Digest("Ana Lima"), masked["party_display_name"]!.GetValue<string>());
        Assert.Equal("open", masked["status"]!.GetValue<string>());
        Assert.Equal("kept", masked["nested"]!["party_display_name"]!.GetValue<string>());
        Assert.Null(masked["n"]);
        Assert.Same(row, Masker.MaskRow(row, new HashSet<string> { "absent" }));
        Assert.Null(Masker.MaskRow(null, new HashSet<string> { "n" }));
    }

    [Fact]
    public void Digests_have_a_fixed_shape_and_depend_on_the_key()
    {
        var digest = Masker.Digest("Ana Lima");
        Assert.Matches("^masked:[0-9a-f]{12}$", digest);
        Assert.True(PiiMasker.IsDigest(digest));
        Assert.False(PiiMasker.IsDigest("masked:XYZ"));
        Assert.Equal(digest, Masker.Digest(JsonSerializer.SerializeToElement("Ana Lima")));
        Assert.NotEqual(Masker.Digest(JsonSerializer.SerializeToElement("1")), Masker.Digest(JsonSerializer.SerializeToElement(1)));
        Assert.NotEqual(digest, new PiiMasker(new byte[32]).Digest("Ana Lima"));
        Assert.NotEqual(PiiMasker.Ephemeral().Digest("Ana Lima"), PiiMasker.Ephemeral().Digest("Ana Lima"));
        Assert.Equal(
            "A PII digest key needs at least 16 bytes; this one has 8. Generate one with RandomNumberGenerator.GetBytes(32). (Parameter 'key')",
            Assert.Throws<ArgumentException>(() => new PiiMasker(new byte[8])).Message);
    }

    [Fact]
    public void Short_values_are_not_searched_in_text()
    {
        var text = "id 42 failed";
        Assert.Equal(text, Masker.MaskText(text, [JsonSerializer.SerializeToElement(42)]));
        Assert.Equal($"id {Masker.Digest(JsonSerializer.SerializeToElement(421))} failed", Masker.MaskText("id 421 failed", [JsonSerializer.SerializeToElement(421)]));
    }

    private static IEnumerable<JsonNode?> HiddenValues(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == Hidden ? [p.Value] : HiddenValues(p.Value)),
        JsonArray a => a.SelectMany(HiddenValues),
        _ => [],
    };

    private static IEnumerable<string> SecretTexts(JsonNode? node) =>
        HiddenValues(node).Where(v => v is not null).SelectMany(v => v is JsonObject o ? AllStrings(o) : [v is JsonValue s && s.TryGetValue<string>(out var text) ? text : v!.ToJsonString()]);

    private static IEnumerable<string> AllStrings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => AllStrings(p.Value)),
        JsonArray a => a.SelectMany(AllStrings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    private static JsonNode? WithoutHidden(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(p => p.Key != Hidden).Select(p => KeyValuePair.Create(p.Key, WithoutHidden(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(WithoutHidden)]),
        _ => node?.DeepClone(),
    };
}
