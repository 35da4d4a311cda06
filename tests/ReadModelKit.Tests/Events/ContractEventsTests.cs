using System.Text.Json;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Tests.Events;

public sealed class ContractEventsTests
{
    private static readonly DateTimeOffset At = new(2026, 7, 5, 3, 10, 0, TimeSpan.Zero);

    private static readonly ContractEvents CaseList = new(new ProjectionContract
    {
        Name = "case_list",
        Source = new ProjectionSource(SourceKind.Outbox, "case-events"),
        OrderingScope = ["tenant_id", "case_id"],
    });

    private sealed record CaseOpened(int TenantId, long CaseId, string Title);

    private sealed record Untenanted(long CaseId);

    [Fact]
    public void The_ordering_key_is_derived_from_the_payloads_scope_fields_in_scope_order()
    {
        var e = CaseList.Create("CaseOpened", new CaseOpened(9, 123, "Flood"), version: 1, occurredAt: At);

        Assert.Equal("9/123", e.OrderingKey);
        Assert.Equal(("CaseOpened", 1L, At), (e.Type, e.Version, e.OccurredAt));
        Assert.Equal("Flood", e.Payload.GetProperty("title").GetString());
    }

    [Fact]
    public void Snake_case_and_pascal_case_payload_fields_match_the_scope()
    {
        var snake = CaseList.Create("CaseOpened", JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["case_id"] = 7, ["tenant_id"] = "t1" }), 2, At);
        var pascal = CaseList.Create("CaseOpened", new CaseOpened(3, 4, "x"), 2, At, options: new JsonSerializerOptions());

        Assert.Equal("t1/7", snake.OrderingKey);
        Assert.Equal("3/4", pascal.OrderingKey);
    }

    [Fact]
    public void An_event_missing_a_scope_field_is_refused_naming_the_field()
    {
        var error = Assert.Throws<InvalidEventException>(() => CaseList.Create("CaseOpened", new Untenanted(5), 1, At, Guid.Empty));

        Assert.Equal($"Event {Guid.Empty} (CaseOpened) is refused: its payload lacks the ordering scope field(s) tenant_id of contract 'case_list' (or holds null, an empty string, an object or an array there): add them to the event so its ordering key can be derived.", error.Message);
        Assert.Equal("case_list", error.ProjectionName);
    }

    [Theory]
    [InlineData(0L, "", "its version is 0: give every event its per-key version")]
    [InlineData(-3L, "", "its version is -3")]
    [InlineData(1L, " ", "its ordering key is blank")]
    public void Events_without_a_version_or_a_key_are_refused(long version, string key, string message)
    {
        var envelope = new EventEnvelope { EventId = Guid.NewGuid(), OrderingKey = key.Length == 0 ? "t1/1" : key, Version = version, Type = "CaseOpened", OccurredAt = At, Payload = JsonSerializer.SerializeToElement(new { tenantId = "t1", caseId = 1 }) };

        var error = Assert.Throws<InvalidEventException>(() => ContractEvents.Validate(envelope));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidEventException>(() => CaseList.Create("CaseOpened", envelope.Payload, version == 1 ? 0 : version, At));
    }

    [Fact]
    public void A_hand_built_key_that_does_not_follow_the_scope_is_refused_with_the_right_key()
    {
        var envelope = CaseList.Create("CaseOpened", new CaseOpened(9, 123, "x"), 1, At) with { OrderingKey = "123/9" };

        var error = Assert.Throws<InvalidEventException>(() => CaseList.Check(envelope));

        Assert.Contains("its ordering key '123/9' is not the one its payload's ordering scope (tenant_id, case_id) gives: '9/123'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Distinct_scope_values_always_give_distinct_keys()
    {
        // Oracle: two payloads get the same key exactly when their scope values are equal, whatever '/' or '%' they contain.
        var part = Gen.Elements('a', 'b', '/', '%', '2', 'F').NonEmptyListOf().Select(cs => new string([.. cs]));
        var quads = from t1 in part from c1 in part from t2 in part from c2 in part select (t1, c1, t2, c2);
        Prop.ForAll(quads.ToArbitrary(), q =>
            {
                var a = CaseList.Create("E", JsonSerializer.SerializeToElement(new { tenant_id = q.t1, case_id = q.c1 }), 1, At).OrderingKey;
                var b = CaseList.Create("E", JsonSerializer.SerializeToElement(new { tenant_id = q.t2, case_id = q.c2 }), 1, At).OrderingKey;
                return (a == b) == (q.t1 == q.t2 && q.c1 == q.c2);
            })
            .QuickCheckThrowOnFailure();
        Assert.NotEqual(
            CaseList.Create("E", JsonSerializer.SerializeToElement(new { tenant_id = "a/b", case_id = "c" }), 1, At).OrderingKey,
            CaseList.Create("E", JsonSerializer.SerializeToElement(new { tenant_id = "a", case_id = "b/c" }), 1, At).OrderingKey);
    }
}
