namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// One side's rows with, per row, the hash that assigns its key to a chunk or block (<c>rmk_kh</c>) and its unmixed row value
/// (<c>rmk_rx</c>, see <see cref="CanonicalRowEncoding.RowXor"/>), each computed once per row. Both detectors read their groups and
/// leaves through it. With <see cref="DriftRowHash.Binary"/> the key fields are hashed once: the key hash mixes the XOR of their field
/// hashes, and the row value XORs the value fields' hashes into that same XOR (the result equals the row XOR over all columns).
/// </summary>
internal sealed class HashedRows(DriftTable table, DriftRowHash mode)
{
    /// <summary>The row hash in use.</summary>
    public DriftRowHash Mode => mode;

    /// <summary>
    /// A FROM item (alias <c>x</c>) over <paramref name="relation"/> (the side's key and value columns) adding <c>rmk_kh</c> and
    /// <c>rmk_rx</c>; with <paramref name="keyHashFilter"/> (a condition over the key hash expression it is given) the row value is
    /// computed only for the rows the filter keeps. <c>OFFSET 0</c> keeps each computed column from being inlined twice.
    /// </summary>
    public string From(string relation, Func<string, string>? keyHashFilter = null)
    {
        var keyed = $"(SELECT r.*, {KeyPart("r")} AS rmk_kx FROM ({relation}) AS r OFFSET 0) AS k";
        return keyHashFilter is null
            ? $"(SELECT k.*, {KeyHash("k.rmk_kx")} AS rmk_kh, {RowValue("k")} AS rmk_rx FROM {keyed} OFFSET 0) AS x"
            : $"(SELECT y.*, {RowValue("y")} AS rmk_rx FROM (SELECT k.*, {KeyHash("k.rmk_kx")} AS rmk_kh FROM {keyed} OFFSET 0) AS y WHERE {keyHashFilter("y.rmk_kh")} OFFSET 0) AS x";
    }

    /// <summary>The row hash of a row of <see cref="From"/> (alias <paramref name="alias"/>).</summary>
    public string RowHash(string alias = "x") => CanonicalRowEncoding.MixRowXor(mode, $"{alias}.rmk_rx");

    /// <summary>
    /// The aggregate of a group's row hashes (a column: it may appear twice), as text. Binary: their XOR (<c>bit_xor</c>, PostgreSQL 14,
    /// as the binary hash itself), the cheapest aggregate, as strong as a sum over mixed 64-bit hashes. Canonical text: two exact
    /// <c>int4</c> sums (<see cref="CanonicalRowEncoding.HashSum"/>), which PostgreSQL 13 has.
    /// </summary>
    public string Aggregate(string rowHash) => mode == DriftRowHash.Binary ? $"bit_xor({rowHash})::text" : CanonicalRowEncoding.HashSum(rowHash);

    /// <summary>Binary: the XOR of the key fields' hashes; canonical text: the finished key hash.</summary>
    private string KeyPart(string alias) => CanonicalRowEncoding.RowXor(mode, table.Keys.Select(k => (k.Type, $"{alias}.{k.Quoted}")));

    /// <summary>The key hash from <see cref="KeyPart"/> (equal to <see cref="CanonicalRowEncoding.BucketHash"/> of the keys).</summary>
    private string KeyHash(string keyPart) => mode == DriftRowHash.Binary ? $"hashint8extended({keyPart}, {CanonicalRowEncoding.Seed})" : keyPart;

    /// <summary>The unmixed row value of a row that carries <c>rmk_kx</c>.</summary>
    private string RowValue(string alias)
    {
        if (mode != DriftRowHash.Binary)
        {
            return CanonicalRowEncoding.RowXor(mode, table.All.Select(c => (c.Type, $"{alias}.{c.Quoted}")));
        }

        // Field positions continue after the keys', exactly as in the row XOR over all columns.
        var values = table.Values.Select((v, i) => CanonicalRowEncoding.FieldHash(v.Type, $"{alias}.{v.Quoted}", table.Keys.Count + i));
        return string.Join(" # ", values.Prepend($"{alias}.rmk_kx"));
    }
}
