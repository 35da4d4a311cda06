using System.Globalization;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Assigns a key to one of the blocks between sorted boundaries b0 ≤ b1 ≤ … with a balanced tree of comparisons, so one scan
/// groups rows into many blocks at log2(blocks) comparisons per row. Block i holds the keys k with b(i-1) &lt; k ≤ b(i):
/// the bucket of k is the number of boundaries below it.
/// </summary>
internal abstract record BucketTree
{
    private BucketTree()
    {
    }

    /// <summary>The tree over <paramref name="boundaries"/> boundaries (buckets 0 to <paramref name="boundaries"/>).</summary>
    public static BucketTree Build(int boundaries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(boundaries);
        return Build(0, boundaries);
    }

    /// <summary>Evaluates the tree: <paramref name="atOrBelow"/>(i) says whether the key is ≤ boundary i.</summary>
    public abstract int Evaluate(Func<int, bool> atOrBelow);

    /// <summary>Renders the tree as a SQL CASE expression; <paramref name="atOrBelow"/>(i) is the condition "key ≤ boundary i".</summary>
    public abstract string ToSql(Func<int, string> atOrBelow);

    /// <summary>The deepest chain of comparisons.</summary>
    public abstract int Depth { get; }

    private static BucketTree Build(int low, int high)
    {
        if (low == high)
        {
            return new Leaf(low);
        }

        var middle = (low + high) / 2;
        return new Split(middle, Build(low, middle), Build(middle + 1, high));
    }

    /// <summary>A single bucket.</summary>
    private sealed record Leaf(int Bucket) : BucketTree
    {
        public override int Depth => 0;

        public override int Evaluate(Func<int, bool> atOrBelow) => Bucket;

        public override string ToSql(Func<int, string> atOrBelow) => Bucket.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Keys at or below boundary <paramref name="Boundary"/> go left, the others right.</summary>
    private sealed record Split(int Boundary, BucketTree AtOrBelow, BucketTree Above) : BucketTree
    {
        public override int Depth => 1 + Math.Max(AtOrBelow.Depth, Above.Depth);

        public override int Evaluate(Func<int, bool> atOrBelow) => atOrBelow(Boundary) ? AtOrBelow.Evaluate(atOrBelow) : Above.Evaluate(atOrBelow);

        public override string ToSql(Func<int, string> atOrBelow) =>
            $"CASE WHEN {atOrBelow(Boundary)} THEN {AtOrBelow.ToSql(atOrBelow)} ELSE {Above.ToSql(atOrBelow)} END";
    }
}
