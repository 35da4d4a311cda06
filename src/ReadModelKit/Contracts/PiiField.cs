namespace ReadModelKit.Contracts;

/// <summary>A personal-data field the projection handles, with its classification.</summary>
/// <param name="Field">The source field name (for example <c>partyDisplayName</c>).</param>
/// <param name="Classification">How the field may appear in the read model.</param>
/// <param name="Column">The read-model column the field is written to, or <see langword="null"/> when it is not stored.</param>
public sealed record PiiField(string Field, PiiClassification Classification, string? Column = null);
