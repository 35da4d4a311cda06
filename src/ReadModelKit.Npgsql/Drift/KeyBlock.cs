namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// A key range (lower, upper]: keys above <paramref name="Lower"/> and at or below <paramref name="Upper"/>. A null bound is open,
/// so the first and last blocks also hold keys beyond what either side's boundaries showed.
/// </summary>
/// <param name="Lower">The exclusive lower bound (one value per key column), or null for no lower bound.</param>
/// <param name="Upper">The inclusive upper bound, or null for no upper bound.</param>
internal sealed record KeyBlock(IReadOnlyList<object?>? Lower, IReadOnlyList<object?>? Upper)
{
    /// <summary>Every key.</summary>
    public static KeyBlock Everything { get; } = new(null, null);

    /// <summary>The blocks between consecutive boundaries inside this block: boundaries.Count + 1 blocks, in key order.</summary>
    public IReadOnlyList<KeyBlock> Split(IReadOnlyList<IReadOnlyList<object?>> boundaries)
    {
        var blocks = new List<KeyBlock>(boundaries.Count + 1);
        var lower = Lower;
        foreach (var boundary in boundaries)
        {
            blocks.Add(new KeyBlock(lower, boundary));
            lower = boundary;
        }

        blocks.Add(new KeyBlock(lower, Upper));
        return blocks;
    }

    /// <summary>The block as text for logs.</summary>
    public override string ToString() =>
        $"({(Lower is null ? "-∞" : "(" + string.Join(", ", Lower) + ")")}, {(Upper is null ? "+∞" : "(" + string.Join(", ", Upper) + ")")}]";
}
