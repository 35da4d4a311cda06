using System.Text;
using System.Xml;

namespace ReadModelKit.Contracts;

/// <summary>Renders a <see cref="ProjectionContract"/> as the YAML-like design card used in design reviews.</summary>
public static class DesignCardWriter
{
    /// <summary>Returns the design card text of <paramref name="contract"/>.</summary>
    /// <param name="contract">The contract to render.</param>
    public static string Render(ProjectionContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var card = new StringBuilder();
        card.Append("projection: ").AppendLine(contract.Name);
        card.Append("version: ").AppendLine(contract.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        card.AppendLine("source:");
        card.Append("  type: ").AppendLine(Snake(contract.Source.Kind));
        card.Append("  ").Append(SourceNameLabel(contract.Source.Kind)).Append(": ").AppendLine(contract.Source.Name);
        List(card, "ordering_scope", contract.OrderingScope, "");
        card.AppendLine("idempotency:");
        card.Append("  mode: ").AppendLine(Snake(contract.Idempotency));
        if (contract.Idempotency == IdempotencyMode.Inbox)
        {
            card.Append("  key: ").AppendLine(contract.IdempotencyKey);
        }

        card.AppendLine("freshness:");
        card.Append("  expected_lag: ").AppendLine(XmlConvert.ToString(contract.Freshness.ExpectedLag));
        card.Append("  max_lag: ").AppendLine(XmlConvert.ToString(contract.Freshness.MaxLag));
        card.Append("  stale_behavior: ").AppendLine(Snake(contract.StaleBehavior));
        card.AppendLine("rebuild:");
        card.Append("  method: ").AppendLine(Snake(contract.Rebuild));
        card.Append("failure_policy: ").AppendLine(Snake(contract.FailurePolicy));
        List(card, "consumers", contract.Consumers, "");
        card.AppendLine("security:");
        card.Append("  tenant_scoped: ").AppendLine(contract.Tenancy.TenantScoped ? "true" : "false");
        if (contract.Tenancy.TenantScoped)
        {
            card.Append("  tenant_field: ").AppendLine(contract.Tenancy.TenantField);
        }

        if (contract.PiiFields.Count == 0)
        {
            card.AppendLine("  pii: none");
        }
        else
        {
            card.AppendLine("  pii:");
            foreach (var field in contract.PiiFields)
            {
                card.Append("    - field: ").AppendLine(field.Field);
                card.Append("      classification: ").AppendLine(Snake(field.Classification));
                card.Append("      column: ").AppendLine(field.Column ?? "(not stored)");
            }
        }

        return card.ToString();
    }

    private static string SourceNameLabel(SourceKind kind) => kind switch
    {
        SourceKind.BrokerTopic => "topic",
        SourceKind.CanonicalTables => "tables",
        _ => "stream",
    };

    private static void List(StringBuilder card, string label, IReadOnlyList<string> items, string indent)
    {
        if (items.Count == 0)
        {
            card.Append(indent).Append(label).AppendLine(": []");
            return;
        }

        card.Append(indent).Append(label).AppendLine(":");
        foreach (var item in items)
        {
            card.Append(indent).Append("  - ").AppendLine(item);
        }
    }

    /// <summary>PascalCase enum name to snake_case (ShowFreshnessBanner → show_freshness_banner).</summary>
    internal static string Snake<TEnum>(TEnum value)
        where TEnum : struct, Enum
    {
        var name = value.ToString();
        var snake = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(name[i]));
        }

        return snake.ToString();
    }
}
