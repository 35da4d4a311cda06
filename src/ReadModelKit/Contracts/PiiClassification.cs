namespace ReadModelKit.Contracts;

/// <summary>How a personal-data field may appear in the read model.</summary>
public enum PiiClassification
{
    /// <summary>The field may be stored and shown as is.</summary>
    Visible,

    /// <summary>
    /// The field may be stored in its mapped column, and nowhere else in the clear: drift incidents and reports, dead-letter
    /// listings, error texts and logs show it as a keyed digest; dead letters keep it sealed or as a digest.
    /// </summary>
    Masked,

    /// <summary>
    /// The field must never be stored in the read model (it cannot name a column); in event payloads the library treats it as
    /// masked (sealed or a digest in dead letters, a digest in listings, error texts and logs).
    /// </summary>
    Prohibited,
}
