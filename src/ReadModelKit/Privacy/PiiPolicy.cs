using ReadModelKit.Contracts;

namespace ReadModelKit.Privacy;

/// <summary>
/// What a projection's contract says must never leave the read model in the clear: the masked columns (row values, by column
/// name) and the masked and prohibited payload fields (event properties, by name at any depth). Built from
/// <see cref="ProjectionContract.PiiFields"/>; visible fields are not listed and pass through untouched.
/// </summary>
public sealed class PiiPolicy
{
    private PiiPolicy(IReadOnlySet<string> maskedColumns, IReadOnlySet<string> maskedFields, IReadOnlySet<string> prohibitedFields)
    {
        MaskedColumns = maskedColumns;
        MaskedFields = maskedFields;
        ProhibitedFields = prohibitedFields;
    }

    /// <summary>A policy that hides nothing (a contract without masked or prohibited fields).</summary>
    public static PiiPolicy None { get; } = new(new HashSet<string>(), new HashSet<string>(), new HashSet<string>());

    /// <summary>Read-model columns whose values are shown only as digests (masked fields that name a column).</summary>
    public IReadOnlySet<string> MaskedColumns { get; }

    /// <summary>Payload property names of masked fields.</summary>
    public IReadOnlySet<string> MaskedFields { get; }

    /// <summary>Payload property names of prohibited fields.</summary>
    public IReadOnlySet<string> ProhibitedFields { get; }

    /// <summary>Whether the policy hides nothing.</summary>
    public bool IsEmpty => MaskedColumns.Count == 0 && MaskedFields.Count == 0 && ProhibitedFields.Count == 0;

    /// <summary>Builds the policy of a contract.</summary>
    /// <param name="contract">The projection contract.</param>
    public static PiiPolicy For(ProjectionContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var fields = contract.PiiFields ?? [];
        var maskedColumns = new HashSet<string>(StringComparer.Ordinal);
        var maskedFields = new HashSet<string>(StringComparer.Ordinal);
        var prohibited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            if (field is null || string.IsNullOrEmpty(field.Field))
            {
                continue;
            }

            switch (field.Classification)
            {
                case PiiClassification.Masked:
                    maskedFields.Add(field.Field);
                    if (!string.IsNullOrEmpty(field.Column))
                    {
                        maskedColumns.Add(field.Column);
                    }

                    break;
                case PiiClassification.Prohibited:
                    prohibited.Add(field.Field);
                    break;
            }
        }

        return maskedColumns.Count == 0 && maskedFields.Count == 0 && prohibited.Count == 0 ? None : new PiiPolicy(maskedColumns, maskedFields, prohibited);
    }

    /// <summary>Whether a payload property of this name is hidden (masked or prohibited).</summary>
    /// <param name="propertyName">The payload property name.</param>
    public bool HidesField(string propertyName) => MaskedFields.Contains(propertyName) || ProhibitedFields.Contains(propertyName);
}
