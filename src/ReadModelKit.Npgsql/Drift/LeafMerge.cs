using Npgsql;
using ReadModelKit.Changes;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Finds the differing keys of leaf rows (chunks or blocks that differ) by merging both sides' rows streamed in the order of a 64-bit
/// key identity (<see cref="HashedRows.Leaves"/>). A row whose identity and row hash match the other side's current row is passed over
/// without reading its key, so the client reads keys only of rows that differ. Every row left over is a candidate the caller confirms
/// with the values themselves: a row only one side has (missing, extra), a pair whose row hashes differ (changed), and every row whose
/// identity other rows of its side share (a key the recompute query returned twice, or distinct keys with one identity), reported as
/// changed so the confirmation reads both sides.
/// </summary>
internal static class LeafMerge
{
    /// <summary>
    /// Runs two <see cref="HashedRows.Leaves"/> statements (<paramref name="keyCount"/> key columns) at once and merges their rows as they
    /// stream (<see cref="BothSides.MergeAsync"/>): the differing keys, each once, with the kind the merge saw.
    /// </summary>
    public static Task<List<(RowKey Key, DriftKind Kind)>> CompareAsync(NpgsqlCommand expected, NpgsqlCommand actual, int keyCount, ReceivedBytes received, CancellationToken cancellationToken) =>
        BothSides.MergeAsync(
            expected,
            actual,
            received,
            (e, a) => CompareAsync(new LeafRows(e, keyCount), new LeafRows(a, keyCount), cancellationToken),
            cancellationToken);

    /// <summary>The differing keys, each once, with the kind the merge saw.</summary>
    public static async Task<List<(RowKey Key, DriftKind Kind)>> CompareAsync(ILeafRows expected, ILeafRows actual, CancellationToken cancellationToken)
    {
        var found = new List<(RowKey, DriftKind)>();
        var seen = new HashSet<RowKey>();
        void Add(RowKey key, DriftKind kind)
        {
            if (seen.Add(key))
            {
                found.Add((key, kind));
            }
        }

        var e = new Cursor(expected);
        var a = new Cursor(actual);
        await e.NextAsync(cancellationToken).ConfigureAwait(false);
        await a.NextAsync(cancellationToken).ConfigureAwait(false);
        while (e.Has || a.Has)
        {
            if (e.Shared || a.Shared)
            {
                var side = e.Shared ? e : a;
                Add(side.Rows.Key(), DriftKind.Changed);
                await side.NextAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var order = !a.Has ? -1 : !e.Has ? 1 : e.Rows.Identity.CompareTo(a.Rows.Identity);
            if (order < 0)
            {
                Add(e.Rows.Key(), DriftKind.Missing);
                await e.NextAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (order > 0)
            {
                Add(a.Rows.Key(), DriftKind.Extra);
                await a.NextAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (e.Rows.Hash != a.Rows.Hash)
                {
                    var expectedKey = e.Rows.Key();
                    var actualKey = a.Rows.Key();
                    Add(expectedKey, DriftKind.Changed);
                    Add(actualKey, DriftKind.Changed);
                }

                await e.NextAsync(cancellationToken).ConfigureAwait(false);
                await a.NextAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return found;
    }

    /// <summary>One side's stream and whether it has a current row.</summary>
    private sealed class Cursor(ILeafRows rows)
    {
        public ILeafRows Rows => rows;

        public bool Has { get; private set; }

        /// <summary>Other rows of this side share the current row's identity.</summary>
        public bool Shared => Has && rows.Shared;

        public async Task NextAsync(CancellationToken cancellationToken) => Has = await rows.ReadAsync(cancellationToken).ConfigureAwait(false);
    }
}
