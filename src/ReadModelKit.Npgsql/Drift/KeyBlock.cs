namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// A key range (lower, upper]: keys above <paramref name="Lower"/> and at or below <paramref name="Upper"/>; a null bound is open.
/// Sample checks compare such ranges; a full check compares <see cref="Everything"/>.
/// </summary>
/// <param name="Lower">The exclusive lower bound (one value per key column), or null for no lower bound.</param>
/// <param name="Upper">The inclusive upper bound, or null for no upper bound.</param>
internal sealed record KeyBlock(IReadOnlyList<object?>? Lower, IReadOnlyList<object?>? Upper)
{
    /// <summary>Every key.</summary>
    public static KeyBlock Everything { get; } = new(null, null);

    /// <summary>The block as text for logs.</summary>
    public override string ToString() =>
        $"({(Lower is null ? "-∞" : "(" + string.Join(", ", Lower) + ")")}, {(Upper is null ? "+∞" : "(" + string.Join(", ", Upper) + ")")}]";
}
