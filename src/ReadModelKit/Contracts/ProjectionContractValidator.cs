using ReadModelKit.Exceptions;

namespace ReadModelKit.Contracts;

/// <summary>Checks a <see cref="ProjectionContract"/> for every problem at once.</summary>
public static class ProjectionContractValidator
{
    /// <summary>Returns every problem of the contract; an empty list means it is valid.</summary>
    /// <param name="contract">The contract to check.</param>
    public static IReadOnlyList<string> Validate(ProjectionContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var errors = new List<string>();

        if (!SqlName.IsValid(contract.Name))
        {
            errors.Add($"Name '{contract.Name}' is not valid: use 1-63 lowercase letters, digits or underscores, starting with a letter or underscore.");
        }

        if (contract.Version < 1)
        {
            errors.Add($"Version {contract.Version} is not valid: versions start at 1.");
        }

        CheckSource(contract, errors);
        CheckOrderingScope(contract, errors);
        CheckIdempotency(contract, errors);
        CheckFreshness(contract.Freshness, errors);
        CheckEnum(contract.StaleBehavior, nameof(ProjectionContract.StaleBehavior), errors);
        CheckEnum(contract.Rebuild, nameof(ProjectionContract.Rebuild), errors);
        CheckEnum(contract.FailurePolicy, nameof(ProjectionContract.FailurePolicy), errors);
        CheckNames(contract.Consumers, "Consumers", errors);
        CheckTenancy(contract, errors);
        CheckPii(contract, errors);
        return errors;
    }

    /// <summary>Throws a <see cref="ProjectionContractException"/> listing every problem when the contract is invalid.</summary>
    /// <param name="contract">The contract to check.</param>
    /// <exception cref="ProjectionContractException">The contract has one or more problems.</exception>
    public static void ThrowIfInvalid(ProjectionContract contract)
    {
        var errors = Validate(contract);
        if (errors.Count > 0)
        {
            throw new ProjectionContractException(contract.Name, errors);
        }
    }

    private static void CheckSource(ProjectionContract contract, List<string> errors)
    {
        if (contract.Source is null)
        {
            errors.Add("Source is missing: set Source to the outbox stream, broker topic or canonical tables the projection reads.");
            return;
        }

        CheckEnum(contract.Source.Kind, "Source.Kind", errors);
        if (string.IsNullOrWhiteSpace(contract.Source.Name))
        {
            errors.Add("Source.Name is empty: name the stream, topic or tables the projection reads.");
        }
    }

    private static void CheckOrderingScope(ProjectionContract contract, List<string> errors)
    {
        if (contract.OrderingScope is null || contract.OrderingScope.Count == 0)
        {
            errors.Add("OrderingScope is empty: list the fields that order events of one entity (for example tenant_id, case_id).");
            return;
        }

        CheckNames(contract.OrderingScope, "OrderingScope", errors);
    }

    private static void CheckIdempotency(ProjectionContract contract, List<string> errors)
    {
        CheckEnum(contract.Idempotency, nameof(ProjectionContract.Idempotency), errors);
        if (contract.Idempotency == IdempotencyMode.Inbox && string.IsNullOrWhiteSpace(contract.IdempotencyKey))
        {
            errors.Add("IdempotencyKey is empty but Idempotency is Inbox: name the field that identifies an event (for example event_id).");
        }

        if (contract.Idempotency == IdempotencyMode.Checkpoint && contract.Source?.Kind == SourceKind.BrokerTopic)
        {
            errors.Add("Idempotency is Checkpoint but the source is a broker topic, which delivers at least once and in any order: use Inbox (or VersionGuardOnly).");
        }
    }

    private static void CheckFreshness(FreshnessContract? freshness, List<string> errors)
    {
        if (freshness is null)
        {
            errors.Add("Freshness is missing: set the expected and maximum lag.");
            return;
        }

        if (freshness.ExpectedLag <= TimeSpan.Zero)
        {
            errors.Add($"Freshness.ExpectedLag {freshness.ExpectedLag} must be positive.");
        }

        if (freshness.MaxLag <= TimeSpan.Zero)
        {
            errors.Add($"Freshness.MaxLag {freshness.MaxLag} must be positive.");
        }

        if (freshness.MaxLag < freshness.ExpectedLag)
        {
            errors.Add($"Freshness.MaxLag {freshness.MaxLag} is below Freshness.ExpectedLag {freshness.ExpectedLag}: the maximum tolerated lag must be at least the expected lag.");
        }
    }

    private static void CheckTenancy(ProjectionContract contract, List<string> errors)
    {
        if (contract.Tenancy is null)
        {
            errors.Add("Tenancy is missing: use TenantScoping.None or TenantScoping.ByTenantId.");
            return;
        }

        if (!contract.Tenancy.TenantScoped)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(contract.Tenancy.TenantField))
        {
            errors.Add("Tenancy.TenantField is empty but the projection is tenant scoped: name the tenant field (for example tenant_id).");
        }
        else if (contract.OrderingScope is { } scope && !scope.Contains(contract.Tenancy.TenantField, StringComparer.Ordinal))
        {
            errors.Add($"The projection is tenant scoped but the tenant field '{contract.Tenancy.TenantField}' is not in OrderingScope: add it so events of different tenants never share an ordering key.");
        }
    }

    private static void CheckPii(ProjectionContract contract, List<string> errors)
    {
        if (contract.PiiFields is null)
        {
            errors.Add("PiiFields is null: use an empty list when the projection holds no personal data.");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in contract.PiiFields)
        {
            if (field is null || string.IsNullOrWhiteSpace(field.Field))
            {
                errors.Add("PiiFields has an entry without a field name.");
                continue;
            }

            if (!seen.Add(field.Field))
            {
                errors.Add($"PiiFields lists '{field.Field}' twice: keep one entry per field.");
            }

            CheckEnum(field.Classification, $"PiiFields['{field.Field}'].Classification", errors);
            if (field.Classification == PiiClassification.Prohibited && field.Column is not null)
            {
                errors.Add($"PII field '{field.Field}' is Prohibited but mapped to column '{field.Column}': remove the column mapping or reclassify the field as Masked.");
            }
        }
    }

    private static void CheckNames(IReadOnlyList<string>? names, string what, List<string> errors)
    {
        if (names is null)
        {
            errors.Add($"{what} is null: use an empty list.");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add($"{what} has an empty entry: remove it.");
            }
            else if (!seen.Add(name))
            {
                errors.Add($"{what} lists '{name}' twice: keep one.");
            }
        }
    }

    private static void CheckEnum<TEnum>(TEnum value, string what, List<string> errors)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add($"{what} has the unknown value {value}: use one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
        }
    }
}
