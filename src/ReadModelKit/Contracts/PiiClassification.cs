namespace ReadModelKit.Contracts;

/// <summary>How a personal-data field may appear in the read model.</summary>
public enum PiiClassification
{
    /// <summary>The field may be stored and shown as is.</summary>
    Visible,

    /// <summary>The field may be stored only masked (for example the last four digits).</summary>
    Masked,

    /// <summary>The field must never be stored in the read model.</summary>
    Prohibited,
}
