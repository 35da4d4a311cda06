using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The SQL both detectors read one side through: per row a key hash that assigns the key to a block (a chunk, in the same-database
/// check) and a row hash, each computed once per row (filtered statements hash the keys of the rows they keep once more). With
/// <see cref="DriftRowHash.Binary"/> the key hash mixes the XOR of the key fields' hashes, and the row value XORs the value fields'
/// hashes into that same XOR (the result equals the row XOR over all columns).
/// </summary>
internal sealed class HashedRows(DriftTable table, DriftRowHash mode)
{
    /// <summary>The block (0 to <paramref name="modulus"/> − 1) of a key hash.</summary>
    public static string Block(string keyHash, long modulus) => $"abs(({keyHash}) % {DriftReading.Invariant(modulus)})";

    /// <summary>
    /// A statement returning, per block <c>abs(kh % modulus)</c> that holds rows of <paramref name="relation"/> (the side's key and
    /// value columns), (block, row count, hash aggregate as text): one level of blocks. Read a row with <see cref="ReadBlock"/>. <paramref name="keyHashFilter"/>
    /// (a condition over a key hash) keeps only some rows; <paramref name="ordered"/> sorts by block. The key fields are hashed once
    /// per row, and each computed column is kept from being inlined twice by <c>OFFSET 0</c>.
    /// </summary>
    public string Level(string relation, long modulus, Func<string, string>? keyHashFilter, bool ordered)
    {
        var where = keyHashFilter is null ? "" : $" WHERE {keyHashFilter(KeyHash("r"))}";
        return $"""
            SELECT y.b, count(*), {Aggregate(CanonicalRowEncoding.MixRowXor(mode, "y.rmk_rx"))}
            FROM (SELECT {Block(KeyHashOf("k.rmk_kx"), modulus)} AS b, {RowValue("k")} AS rmk_rx
                  FROM (SELECT r.*, {KeyPart("r")} AS rmk_kx FROM ({relation}) AS r{where} OFFSET 0) AS k OFFSET 0) AS y
            GROUP BY 1{(ordered ? " ORDER BY 1" : "")}
            """;
    }

    /// <summary>A row of <see cref="Level"/>: (block id, row count, hash aggregate).</summary>
    public static (long Block, long Count, string Hash) ReadBlock(NpgsqlDataReader row) => (row.GetInt64(0), row.GetInt64(1), row.GetString(2));

    /// <summary>
    /// A FROM item (alias <c>x</c>) with the rows of <paramref name="relation"/> whose key hash passes <paramref name="keyHashFilter"/>;
    /// the filter runs at the scan, so a row outside it costs only its key hash.
    /// </summary>
    public string Filtered(string relation, Func<string, string> keyHashFilter) =>
        $"(SELECT r.* FROM ({relation}) AS r WHERE {keyHashFilter(KeyHash("r"))}) AS x";

    /// <summary>
    /// A statement returning the rows of <paramref name="relation"/> whose key hash passes <paramref name="keyHashFilter"/> (filtered at
    /// the scan) as (key identity, row hash, rows of the side with that identity, key columns), sorted by the identity: the unmixed
    /// key value, equal on both sides for equal keys (some key types hash to 32 bits of entropy, so distinct keys can share one).
    /// <see cref="LeafMerge"/> reads two of them side by side.
    /// </summary>
    public string Leaves(string relation, Func<string, string> keyHashFilter) => $"""
        SELECT x.rmk_kx, {RowHash("x")}, count(*) OVER (PARTITION BY x.rmk_kx), {string.Join(", ", DriftTable.Refs(table.Keys, "x"))}
        FROM (SELECT k.*, {RowValue("k")} AS rmk_rx
              FROM (SELECT r.*, {KeyPart("r")} AS rmk_kx FROM ({relation}) AS r WHERE {keyHashFilter(KeyHash("r"))} OFFSET 0) AS k OFFSET 0) AS x
        ORDER BY 1
        """;

    /// <summary>The row hash of a row that carries <c>rmk_rx</c> (alias <paramref name="alias"/>).</summary>
    private string RowHash(string alias) => CanonicalRowEncoding.MixRowXor(mode, $"{alias}.rmk_rx");

    /// <summary>
    /// The aggregate of a group's row hashes (a column: it may appear twice), as text. Binary: their XOR (<c>bit_xor</c>, PostgreSQL 14,
    /// as the binary hash itself), the cheapest aggregate, as strong as a sum over mixed 64-bit hashes. Canonical text: two exact
    /// <c>int4</c> sums (<see cref="CanonicalRowEncoding.HashSum"/>), which PostgreSQL 13 has.
    /// </summary>
    private string Aggregate(string rowHash) => mode == DriftRowHash.Binary ? $"bit_xor({rowHash})::text" : CanonicalRowEncoding.HashSum(rowHash);

    /// <summary>The key hash of the key columns of <paramref name="alias"/> (equal to <see cref="KeyHashOf"/> of <see cref="KeyPart"/>).</summary>
    private string KeyHash(string alias) => CanonicalRowEncoding.BucketHash(mode, table.Keys.Select(k => (k.Type, $"{alias}.{k.Quoted}")));

    /// <summary>Binary: the XOR of the key fields' hashes; canonical text: the finished key hash.</summary>
    private string KeyPart(string alias) => CanonicalRowEncoding.RowXor(mode, table.Keys.Select(k => (k.Type, $"{alias}.{k.Quoted}")));

    /// <summary>The key hash from <see cref="KeyPart"/> (equal to <see cref="CanonicalRowEncoding.BucketHash"/> of the keys).</summary>
    private string KeyHashOf(string keyPart) => mode == DriftRowHash.Binary ? $"hashint8extended({keyPart}, {CanonicalRowEncoding.Seed})" : keyPart;

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
