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
        var values = table.Values.Select(v => ReadModelTable.Quote(v.Name)).ToList();
        var version = ReadModelTable.Quote(table.Version.Name);
        var keyBuffers = table.Keys.Select(ColumnBuffer.For).ToList();
        var unnest = string.Join(", ", keyBuffers.Select((b, i) => $"${i + 2}::{b.ArrayCast}"));
        var keyList = string.Join(", ", keys);
        var keyMatch = (string left, string right) => string.Join(" AND ", keys.Select(k => $"{left}.{k} = {right}.{k}"));
        var sourceVersion = table.Mapping.RecomputeReturnsVersion;
        var expectedColumns = sourceVersion ? keys.Concat(values).Append(version).ToList() : keys.Concat(values).ToList();
        var insertColumns = keys.Concat(values).Append(version).ToList();
        var insertValues = keys.Concat(values).Select(c => "e." + c).Append(sourceVersion ? "e." + version : "1").ToList();
        var updates = values.Select(v => $"{v} = EXCLUDED.{v}").Append(sourceVersion ? $"{version} = EXCLUDED.{version}" : $"{version} = t.{version} + 1").ToList();
        if (table.ProjectedAt is { } projectedAt)
        {
            insertColumns.Add(projectedAt);
            insertValues.Add("$1");
            updates.Add($"{projectedAt} = EXCLUDED.{projectedAt}");
        }

        var differs = values.Count == 0
            ? "false"
            : $"ROW({string.Join(", ", values.Select(v => "t." + v))}) IS DISTINCT FROM ROW({string.Join(", ", values.Select(v => "EXCLUDED." + v))})";
        if (sourceVersion)
        {
            // A row whose values agree but whose version does not (repaired earlier at version + 1) would drop the next source event.
            differs += $" OR t.{version} IS DISTINCT FROM EXCLUDED.{version}";
        }

        string removed;
        if (table.Tombstone is { } tombstone)
        {
            insertColumns.Add(tombstone);
            insertValues.Add("NULL");
            updates.Add($"{tombstone} = NULL");
            differs += $" OR t.{tombstone} IS NOT NULL";
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

        return $"""
            WITH affected AS (
                SELECT DISTINCT * FROM unnest({unnest}) AS a({keyList})
            ), expected AS (
                SELECT {string.Join(", ", expectedColumns.Select(c => "q." + c))}
                FROM {(expectedRowsSql is null ? RecomputeQuery.Embed(table.ProjectionName, table.Mapping.RecomputeSql!) : $"({expectedRowsSql})")} AS q
                WHERE ({string.Join(", ", keys.Select(k => "q." + k))}) IN (SELECT {keyList} FROM affected)
            ), upserted AS (
                INSERT INTO {table.QualifiedName} AS t ({string.Join(", ", insertColumns)})
                SELECT {string.Join(", ", insertValues)} FROM expected e
                ON CONFLICT ({keyList}) DO UPDATE SET {string.Join(", ", updates)}
                WHERE {differs}
                RETURNING 1
            ), removed AS (
                {removed}
            )
            SELECT ((SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed))::int4
            """;
    }
}
