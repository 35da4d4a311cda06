using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>Classifies the rows of a leaf block from (key, row hash) pairs of both sides.</summary>
internal static class LeafComparer
{
    /// <summary>
    /// Every key whose row differs: only in <paramref name="expected"/> is missing, only in <paramref name="actual"/> is extra,
    /// in both with different hashes is changed. Keys are unique on each side.
    /// </summary>
    public static List<(RowKey Key, DriftKind Kind)> Compare(IEnumerable<(RowKey Key, long Hash)> expected, IEnumerable<(RowKey Key, long Hash)> actual)
    {
        var actualByKey = new Dictionary<RowKey, long>();
        foreach (var (key, hash) in actual)
        {
            actualByKey[key] = hash;
        }

        var differences = new List<(RowKey, DriftKind)>();
        foreach (var (key, hash) in expected)
        {
            if (!actualByKey.Remove(key, out var actualHash))
            {
                differences.Add((key, DriftKind.Missing));
            }
            else if (actualHash != hash)
            {
                differences.Add((key, DriftKind.Changed));
            }
        }

        differences.AddRange(actualByKey.Keys.Select(k => (k, DriftKind.Extra)));
        return differences;
    }
}
