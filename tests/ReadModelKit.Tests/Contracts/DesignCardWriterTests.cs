using ReadModelKit.Contracts;

namespace ReadModelKit.Tests.Contracts;

public sealed class DesignCardWriterTests
{
    [Fact]
    public void Renders_the_seed_case_list_card()
    {
        var expected = """
            projection: case_list_read_model
            version: 1
            source:
              type: outbox
              stream: case-domain-events
            ordering_scope:
              - tenant_id
              - case_id
            idempotency:
              mode: inbox
              key: event_id
            freshness:
              expected_lag: PT5S
              max_lag: PT30S
              stale_behavior: show_freshness_banner
            rebuild:
              method: backfill_from_canonical_tables
            failure_policy: dead_letter_and_continue
            consumers:
              - case-list-ui
              - team-queue-api
            security:
              tenant_scoped: true
              tenant_field: tenant_id
              pii:
                - field: partyDisplayName
                  classification: masked
                  column: party_display_name

            """;

        Assert.Equal(expected.ReplaceLineEndings(), DesignCardWriter.Render(SeedContracts.CaseList));
    }

    [Fact]
    public void Broker_source_is_labelled_topic_and_empty_lists_render_as_brackets()
    {
        var card = DesignCardWriter.Render(SeedContracts.CaseList with
        {
            Source = new ProjectionSource(SourceKind.BrokerTopic, "cases"),
            Consumers = [],
            PiiFields = [],
        });

        Assert.Contains("  type: broker_topic\n  topic: cases\n", card.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("consumers: []", card, StringComparison.Ordinal);
        Assert.Contains("  pii: none", card, StringComparison.Ordinal);
    }
}
