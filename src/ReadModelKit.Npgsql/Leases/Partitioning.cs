namespace ReadModelKit.Npgsql.Leases;

/// <summary>
/// How events are split into partitions: by a stable hash of the ordering key, so all events of one key land in one
/// partition and are applied by one node. <c>hashtextextended</c> is the hash PostgreSQL's hash partitioning uses and is
/// stable across versions. The double <c>mod</c> keeps the result in 0..n-1 for negative hashes (<c>abs</c> would overflow on the minimum bigint).
/// </summary>
internal static class Partitioning
{
    /// <summary>The SQL expression (int4) of the partition of <paramref name="keyExpression"/> among <paramref name="countExpression"/> partitions.</summary>
    /// <param name="keyExpression">A text expression holding the ordering key.</param>
    /// <param name="countExpression">An integer expression holding the partition count.</param>
    public static string Of(string keyExpression, string countExpression) =>
        $"mod(mod(hashtextextended({keyExpression}, 0), ({countExpression})::int8) + ({countExpression})::int8, ({countExpression})::int8)::int4";
}
