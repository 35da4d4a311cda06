using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The SQL of one key-ordered chunk, written through the apply path's recompute writer under the version guard (the bulk backfill plainly
/// inserts the keys the table lacks). Each returns one row:
/// rows written, keys read, and the chunk's last key as <c>text[]</c> (null when the chunk was empty).
/// Parameters: <c>$1</c> the time, <c>$2</c> the last key of the previous chunk (text[], or null for the first), <c>$3</c> the chunk size,
/// then the scope's parameters.
/// </summary>
internal static class ChunkStatements
{
    /// <summary>Backfill: the next rows of the recompute query after the cursor, written into <paramref name="target"/> (one evaluation of the query).</summary>
    public static string Backfill(ReadModelTable target)
    {
        var leading = $"""
            {Chunk(target)}, affected AS (
                SELECT {target.KeyList()} FROM chunk
            ), expected AS (
                SELECT * FROM chunk
            )
            """;
        return RecomputeStatement.Compose(target, leading, guarded: true, Select(target, "chunk"), removal: false);
    }

    /// <summary>
    /// Bulk backfill: the same chunk as <see cref="Backfill"/>, but the rows whose keys the new version does not hold yet go in with a
    /// plain <c>INSERT … SELECT</c> (no conflict check, much cheaper); only the keys live events already wrote go through the guarded upsert.
    /// The keys held are read from the new version's key index in the chunk's key range, which before the backfill reaches it holds only
    /// what live events wrote. A live event that inserts a key of the chunk while it runs makes the plain insert fail with a unique
    /// violation (23505): the caller rolls the chunk back and redoes it with <see cref="Backfill"/>.
    /// </summary>
    public static string BulkBackfill(ReadModelTable target)
    {
        // A hashed lookup, cheaper than an anti-join, skipped when no key is held (the usual case); a key with a NULL column matches
        // nothing, as in the unique index, so it is inserted.
        var held = $"coalesce({KeyCursor.Row(target, "e")} IN (SELECT * FROM present), false)";
        var leading = $"""
            {Chunk(target)}, tail AS MATERIALIZED (
                SELECT {KeyCursor.Row(target, "c")[1..^1]} FROM chunk c ORDER BY {KeyCursor.OrderBy(target, "c", descending: true)} LIMIT 1
            ), present AS MATERIALIZED (
                SELECT {KeyCursor.Row(target, "t")[1..^1]} FROM {target.QualifiedName} t
                WHERE ($2::text[] IS NULL OR {KeyCursor.Row(target, "t")} > {KeyCursor.Parameter(target, 2)})
                  AND {KeyCursor.Row(target, "t")} <= (SELECT * FROM tail)
            ), fresh AS (
                {RecomputeStatement.PlainInsert(target, "chunk", $"NOT EXISTS (SELECT 1 FROM present) OR NOT {held}")}
            ), affected AS (
                SELECT * FROM present
            ), expected AS (
                SELECT * FROM chunk e WHERE EXISTS (SELECT 1 FROM present) AND {held}
            )
            """;
        var select = $"""
            SELECT (s.read - (SELECT count(*) FROM expected) + (SELECT count(*) FROM upserted))::int4, s.read::int4,
                   (SELECT {KeyCursor.AsText(target, "c")} FROM tail c)
            FROM (SELECT count(*) AS read FROM chunk) s
            """;
        return RecomputeStatement.Compose(target, leading, guarded: true, select, removal: false);
    }

    /// <summary>
    /// Repair in place: the next keys after the cursor that the source or the table holds within the scope, recomputed into
    /// <paramref name="target"/> (keys the source no longer returns are tombstoned).
    /// </summary>
    /// <param name="target">The table written (the stable view, which writes through to the serving version).</param>
    /// <param name="scope">Which keys.</param>
    public static string Repair(ReadModelTable target, DriftScope scope)
    {
        var keyList = target.KeyList();
        string Side(string from, string alias) => $"""
            (SELECT {KeyCursor.Row(target, alias)[1..^1]} FROM {from} {alias}
             WHERE ($2::text[] IS NULL OR {KeyCursor.Row(target, alias)} > {KeyCursor.Parameter(target, 2)}) {ScopeFilter(target, scope, alias)}
             ORDER BY {KeyCursor.OrderBy(target, alias)} LIMIT $3)
            """;
        var leading = $"""
            affected AS MATERIALIZED (
                SELECT {keyList} FROM (
                    {Side(RecomputeQuery.Embed(target.ProjectionName, target.Mapping.RecomputeSql!), "q")}
                    UNION
                    {Side(target.QualifiedName, "r")}
                ) k
                ORDER BY {KeyCursor.OrderBy(target, "k")} LIMIT $3
            ), expected AS (
                SELECT {string.Join(", ", RecomputeStatement.ExpectedColumns(target).Select(c => "q." + c))}
                FROM {RecomputeQuery.Embed(target.ProjectionName, target.Mapping.RecomputeSql!)} AS q
                WHERE {KeyCursor.Row(target, "q")} IN (SELECT {keyList} FROM affected)
            )
            """;
        return RecomputeStatement.Compose(target, leading, guarded: true, Select(target, "affected"));
    }

    /// <summary>
    /// Copies the serving version's tombstones into the new version under the version guard. The source no longer returns deleted
    /// keys, so without them a late, older upsert could bring a deleted row back in the new version. Parameter <c>$1</c>: none.
    /// Returns the number of tombstones written.
    /// </summary>
    /// <param name="from">The serving version's table.</param>
    /// <param name="to">The new version's table.</param>
    public static string CarryTombstones(ReadModelTable from, ReadModelTable to)
    {
        var tombstone = from.Tombstone!;
        var version = ReadModelTable.Quote(from.Version.Name);
        var columns = from.Keys.Select(k => ReadModelTable.Quote(k.Name)).Append(version).Append(tombstone).ToList();
        if (from.ProjectedAt is { } projectedAt)
        {
            columns.Add(projectedAt);
        }

        var updates = from.Values.Select(v => $"{ReadModelTable.Quote(v.Name)} = NULL").Concat(columns.Skip(from.Keys.Count).Select(c => $"{c} = EXCLUDED.{c}"));
        return $"""
            WITH written AS (
                INSERT INTO {to.QualifiedName} AS t ({string.Join(", ", columns)})
                SELECT {string.Join(", ", columns.Select(c => "o." + c))} FROM {from.QualifiedName} o WHERE o.{tombstone} IS NOT NULL
                ON CONFLICT ({to.KeyList()}) DO UPDATE SET {string.Join(", ", updates)}
                WHERE t.{version} < EXCLUDED.{version}
                RETURNING 1
            )
            SELECT count(*)::int4 FROM written
            """;
    }

    private static string ScopeFilter(ReadModelTable table, DriftScope scope, string alias)
    {
        var filter = "";
        if (scope.KeyPrefix.Count > 0)
        {
            filter += $" AND {KeyCursor.Row(table, alias, scope.KeyPrefix.Count)} = {KeyCursor.Parameter(table, 4, scope.KeyPrefix.Count)}";
        }

        if (scope.From is not null)
        {
            filter += $" AND {KeyCursor.Row(table, alias)} >= {KeyCursor.Parameter(table, 5)}";
        }

        if (scope.To is not null)
        {
            filter += $" AND {KeyCursor.Row(table, alias)} < {KeyCursor.Parameter(table, 6)}";
        }

        return filter;
    }

    /// <summary>The next rows of the recompute query after the cursor, in key order (CTE <c>chunk</c>).</summary>
    private static string Chunk(ReadModelTable target) => $"""
        chunk AS MATERIALIZED (
            SELECT {string.Join(", ", RecomputeStatement.ExpectedColumns(target).Select(c => "q." + c))} FROM {RecomputeQuery.Embed(target.ProjectionName, target.Mapping.RecomputeSql!)} AS q
            WHERE $2::text[] IS NULL OR {KeyCursor.Row(target, "q")} > {KeyCursor.Parameter(target, 2)}
            ORDER BY {KeyCursor.OrderBy(target, "q")}
            LIMIT $3
        )
        """;

    private static string Select(ReadModelTable table, string keys) => $"""
        SELECT ((SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed))::int4,
               (SELECT count(*) FROM {keys})::int4,
               (SELECT {KeyCursor.AsText(table, "c")} FROM {keys} c ORDER BY {KeyCursor.OrderBy(table, "c", descending: true)} LIMIT 1)
        """;
}
