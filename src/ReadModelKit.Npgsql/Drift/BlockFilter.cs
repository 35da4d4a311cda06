using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The condition that a key hash falls into one of a set of blocks. Up to <see cref="MaxBitmapBlocks"/> blocks it looks the block up
/// in a <c>bytea</c> parameter with one byte per block (<c>get_byte</c>: one call per row, no join, evaluated at the scan); beyond
/// that it joins a list of ids.
/// </summary>
internal static class BlockFilter
{
    /// <summary>The largest modulus a filter sends as a byte map (4 MiB).</summary>
    public const long MaxBitmapBlocks = 1 << 22;

    /// <summary>A condition over a key hash: its block <c>abs(kh % modulus)</c> is one of <paramref name="blocks"/>.</summary>
    public static Func<string, string> In(SqlParameters parameters, IReadOnlyCollection<long> blocks, long modulus)
    {
        if (modulus <= MaxBitmapBlocks)
        {
            var map = new byte[modulus];
            foreach (var block in blocks)
            {
                map[block] = 1;
            }

            var bytes = parameters.AddValue(map);
            return keyHash => $"get_byte({bytes}::bytea, {HashedRows.Block(keyHash, modulus)}::int4) = 1";
        }

        var ids = parameters.AddValue(blocks.ToArray());
        return keyHash => $"{HashedRows.Block(keyHash, modulus)} IN (SELECT unnest({ids}::int8[]))";
    }
}
