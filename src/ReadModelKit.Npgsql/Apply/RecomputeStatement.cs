using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>
/// Replaces the rows of a set of keys with what the mapping's recompute query says they should be:
/// changed or missing rows are written (with the source's version when the query returns it, see
/// <see cref="Mapping.ReadModelTableMapping.RecomputeReturnsVersion"/>, else version + 1), rows whose key the source no longer returns are tombstoned
/// (or deleted when the mapping has no tombstone column). Parameters: <c>$1</c> the time, then one array per key column.
/// </summary>
internal static class RecomputeStatement
{
    /// <summary>Builds the statement.</summary>
    /// <param name="table">The read-model table.</param>
    /// <param name="expectedRowsSql">
    /// SQL returning the expected rows in place of the mapping's recompute query (drift repair across databases sends
    /// the rows it read from the source, with the version column when the mapping says the query returns it; its parameters
    /// follow the key arrays), or null for the recompute query.
    /// </param>
    public static string Build(ReadModelTable table, string? expectedRowsSql = null)
    {
        var keys = table.Keys.Select(k => ReadModelTable.Quote(k.Name)).ToList();
        var keyBuffers = table.Keys.Select(ColumnBuffer.For).ToList();
        var first = 2;
        var unnest = string.Join(", ", ColumnArrays.Arguments(keyBuffers, ref first));
        var keyList = string.Join(", ", keys);
        var leading = $"""
            affected AS (
                SELECT DISTINCT * FROM unnest({unnest}) AS a({keyList})
            ), expected AS (
                SELECT {string.Join(", ", ExpectedColumns(table).Select(c => "q." + c))}
                FROM {(expectedRowsSql is null ? RecomputeQuery.Embed(table.ProjectionName, table.Mapping.RecomputeSql!) : $"({expectedRowsSql})")} AS q
                WHERE ({string.Join(", ", keys.Select(k => "q." + k))}) IN (SELECT {keyList} FROM affected)
            )
            """;
        return Compose(table, leading, guarded: false, "SELECT ((SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed))::int4");
    }

    /// <summary>The columns the expected rows carry: keys, values, and the version when the recompute query returns it.</summary>
    public static IReadOnlyList<string> ExpectedColumns(ReadModelTable table)
    {
        var columns = table.Keys.Concat(table.Values).Select(c => ReadModelTable.Quote(c.Name)).ToList();
        if (table.Mapping.RecomputeReturnsVersion)
        {
            columns.Add(ReadModelTable.Quote(table.Version.Name));
        }

        return columns;
    }

    /// <summary>
    /// The writing half: upserts the rows of a CTE <c>expected</c> and tombstones (or deletes) rows of the keys in a CTE <c>affected</c>
    /// that <c>expected</c> lacks. <paramref name="leading"/> defines both CTEs (and any they use); <paramref name="select"/> is the final
    /// query over <c>upserted</c> and <c>removed</c>.
    /// </summary>
    /// <param name="table">The table written.</param>
    /// <param name="leading">The CTE definitions (without <c>WITH</c>), ending with <c>affected</c> and <c>expected</c>.</param>
    /// <param name="guarded">
    /// Write under the version guard (needs the source version from the query): a row is replaced only by a higher version, or by the
    /// same version with other values when it is not a tombstone, so a recompute that read the source before a newer live event commits
    /// never overwrites that event, and a versioned tombstone is never resurrected. Otherwise any differing row is replaced.
    /// </param>
    /// <param name="select">The final query.</param>
    /// <param name="removal">Whether keys of <c>affected</c> missing from <c>expected</c> are tombstoned (false when <c>affected</c> is drawn from <c>expected</c>).</param>
    public static string Compose(ReadModelTable table, string leading, bool guarded, string select, bool removal = true)
    {
        var keys = table.Keys.Select(k => ReadModelTable.Quote(k.Name)).ToList();
        var values = table.Values.Select(v => ReadModelTable.Quote(v.Name)).ToList();
        var version = ReadModelTable.Quote(table.Version.Name);
        var keyList = string.Join(", ", keys);
        var keyMatch = (string left, string right) => string.Join(" AND ", keys.Select(k => $"{left}.{k} = {right}.{k}"));
        var sourceVersion = table.Mapping.RecomputeReturnsVersion;
        var (insertColumns, insertValues) = InsertList(table);
        var updates = values.Select(v => $"{v} = EXCLUDED.{v}").Append(sourceVersion ? $"{version} = EXCLUDED.{version}" : $"{version} = t.{version} + 1").ToList();
        if (table.ProjectedAt is { } projectedAt)
        {
            updates.Add($"{projectedAt} = EXCLUDED.{projectedAt}");
        }

        var valuesDiffer = values.Count == 0
            ? "false"
            : $"ROW({string.Join(", ", values.Select(v => "t." + v))}) IS DISTINCT FROM ROW({string.Join(", ", values.Select(v => "EXCLUDED." + v))})";
        var differs = valuesDiffer;
        if (sourceVersion)
        {
            // A row whose values agree but whose version does not (repaired earlier at version + 1) would drop the next source event.
            differs += $" OR t.{version} IS DISTINCT FROM EXCLUDED.{version}";
        }

        string removed;
        if (table.Tombstone is { } tombstone)
        {
            updates.Add($"{tombstone} = NULL");
            differs += $" OR t.{tombstone} IS NOT NULL";
            valuesDiffer = $"t.{tombstone} IS NULL AND ({valuesDiffer})";
            var clears = values.Select(v => $"{v} = NULL").Append($"{tombstone} = $1").Append($"{version} = t.{version} + 1");
            if (table.ProjectedAt is { } p)
            {
                clears = clears.Append($"{p} = $1");
            }

            removed = $"""
                UPDATE {table.QualifiedName} t SET {string.Join(", ", clears)}
                FROM affected a
                WHERE {keyMatch("t", "a")} AND t.{tombstone} IS NULL
                  AND NOT EXISTS (SELECT 1 FROM expected e WHERE {keyMatch("e", "a")})
                RETURNING 1
                """;
        }
        else
        {
            removed = $"""
                DELETE FROM {table.QualifiedName} t USING affected a
                WHERE {keyMatch("t", "a")} AND NOT EXISTS (SELECT 1 FROM expected e WHERE {keyMatch("e", "a")})
                RETURNING 1
                """;
        }

        var condition = guarded
            ? $"t.{version} < EXCLUDED.{version} OR (t.{version} = EXCLUDED.{version} AND {valuesDiffer})"
            : differs;
        return $"""
            WITH {leading}, upserted AS (
                INSERT INTO {table.QualifiedName} AS t ({string.Join(", ", insertColumns)})
                SELECT {string.Join(", ", insertValues)} FROM expected e
                ON CONFLICT ({keyList}) DO UPDATE SET {string.Join(", ", updates)}
                WHERE {condition}
                RETURNING 1
            ), removed AS (
                {(removal ? removed : "SELECT 1 WHERE false")}
            )
            {select}
            """;
    }

    /// <summary>
    /// A plain <c>INSERT … SELECT</c> of the rows of <paramref name="rows"/> (aliased <c>e</c>, columns as in <see cref="ExpectedColumns"/>)
    /// that match <paramref name="where"/>, with no conflict handling: a key already in the table fails the statement (23505). For keys known
    /// to be absent, where it is much cheaper than the guarded upsert. Parameter <c>$1</c>: the time.
    /// </summary>
    public static string PlainInsert(ReadModelTable table, string rows, string where)
    {
        var (columns, values) = InsertList(table);
        return $"INSERT INTO {table.QualifiedName} ({string.Join(", ", columns)}) SELECT {string.Join(", ", values)} FROM {rows} e WHERE {where}";
    }

    /// <summary>The columns a write of expected rows <c>e</c> inserts, and the value of each: keys, values, version, projected-at (<c>$1</c>), live tombstone.</summary>
    private static (List<string> Columns, List<string> Values) InsertList(ReadModelTable table)
    {
        var version = ReadModelTable.Quote(table.Version.Name);
        var data = table.Keys.Concat(table.Values).Select(c => ReadModelTable.Quote(c.Name)).ToList();
        var columns = data.Append(version).ToList();
        var values = data.Select(c => "e." + c).Append(table.Mapping.RecomputeReturnsVersion ? "e." + version : "1").ToList();
        if (table.ProjectedAt is { } projectedAt)
        {
            columns.Add(projectedAt);
            values.Add("$1");
        }

        if (table.Tombstone is { } tombstone)
        {
            columns.Add(tombstone);
            values.Add("NULL");
        }

        return (columns, values);
    }
}
