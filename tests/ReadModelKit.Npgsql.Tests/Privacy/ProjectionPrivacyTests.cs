using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ReadModelKit.Npgsql.Privacy;
using ReadModelKit.Privacy;

namespace ReadModelKit.Npgsql.Tests.Privacy;

/// <summary>Dead-letter payload laws, without a database: sealed payloads replay exactly, nothing hidden is stored or listed in the clear.</summary>
public sealed class ProjectionPrivacyTests
{
    private static readonly PiiMasker Masker = new(RandomNumberGenerator.GetBytes(32));
    private static readonly PiiPolicy Policy = PiiPolicy.For(PartyProjection.ContractFor("p"));
    private static readonly string[] Hidden = ["partyDisplayName", "nationalId"];

    private static readonly Gen<JsonNode?> Secret =
        from n in Gen.Choose(1000, 9999)
        from shape in Gen.Choose(0, 3)
        select shape switch
        {
            0 => (JsonNode?)JsonValue.Create($"Ω{n} \"Núñez\""),
            1 => JsonValue.Create(n * 1000L + 7),
            2 => new JsonObject { ["first"] = $"Ω{n}", ["last"] = "Lima" },
            _ => null,
        };

    private static Gen<JsonNode?> Node(int depth) => depth == 0
        ? Gen.Elements<JsonNode?>(null, JsonValue.Create("open"), JsonValue.Create(3), JsonValue.Create(false))
        : Gen.OneOf(
            Node(0),
            Gen.ListOf(Node(depth - 1)).Select(items => (JsonNode?)new JsonArray([.. items.Select(i => i?.DeepClone())])),
            Gen.ListOf(
                    from name in Gen.Elements("status", "tenant", "history", Hidden[0], Hidden[1])
                    from value in Hidden.Contains(name) ? Secret : Node(depth - 1)
                    select (name, value))
                .Select(properties =>
                {
                    var node = new JsonObject();
                    foreach (var (name, value) in properties)
                    {
                        node[name] = value?.DeepClone();
                    }

                    return (JsonNode?)node;
                }));

    private static readonly Gen<JsonElement> Payload = Node(3).Select(n => JsonSerializer.SerializeToElement(n ?? new JsonObject()));

    [Fact]
    public void With_a_sealing_key_the_stored_payload_holds_no_hidden_value_lists_as_digests_and_replays_exactly()
    {
        var privacy = new ProjectionPrivacy("p", Policy, Masker, new PayloadSealer(RandomNumberGenerator.GetBytes(32)));
        Prop.ForAll(Payload.ToArbitrary(), payload =>
            {
                using var stored = JsonDocument.Parse(privacy.PayloadAtRest(payload));
                var replayed = privacy.ForReplay(Guid.NewGuid(), stored.RootElement);
                var listed = privacy.ForListing(stored.RootElement);
                return SecretTexts(payload).All(s => !stored.RootElement.GetRawText().Contains(s, StringComparison.Ordinal) && !listed.GetRawText().Contains(s, StringComparison.Ordinal))
                    && JsonNode.DeepEquals(JsonNode.Parse(payload.GetRawText()), JsonNode.Parse(replayed.GetRawText()))
                    && JsonNode.DeepEquals(Digested(JsonNode.Parse(payload.GetRawText())), JsonNode.Parse(listed.GetRawText()));
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Without_a_sealing_key_the_stored_payload_is_the_listing_and_replay_is_refused_exactly_when_something_was_hidden()
    {
        var privacy = new ProjectionPrivacy("p", Policy, Masker, sealer: null);
        Prop.ForAll(Payload.ToArbitrary(), payload =>
            {
                using var stored = JsonDocument.Parse(privacy.PayloadAtRest(payload));
                var expected = Digested(JsonNode.Parse(payload.GetRawText()));
                var refused = false;
                try
                {
                    privacy.ForReplay(Guid.NewGuid(), stored.RootElement);
                }
                catch (RedactedPayloadException)
                {
                    refused = true;
                }

                return JsonNode.DeepEquals(expected, JsonNode.Parse(stored.RootElement.GetRawText()))
                    && privacy.ToDigests(stored.RootElement) is null
                    && refused == SecretTexts(payload).Any();
            })
            .QuickCheckThrowOnFailure();
    }

    /// <summary>The oracle: every non-null hidden value replaced by its digest, built on the JSON tree independently of the rewriter.</summary>
    private static JsonNode? Digested(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(
            p.Key,
            Hidden.Contains(p.Key) && p.Value is not null ? JsonValue.Create(Masker.Digest(JsonSerializer.SerializeToElement(p.Value))) : Digested(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Digested)]),
        _ => node?.DeepClone(),
    };

    private static IEnumerable<string> SecretTexts(JsonElement payload) =>
        PiiJson.Collect(payload, Hidden.Contains).Select(v => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Object => v.GetProperty("first").GetString()!,
            _ => v.GetRawText(),
        });
}
