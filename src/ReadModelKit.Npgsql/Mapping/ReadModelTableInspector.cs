using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Mapping;

/// <summary>Checks a <see cref="ReadModelTableMapping"/> against the live table and resolves its column types.</summary>
public static class ReadModelTableInspector
{
    private static readonly string[] IntegerTypes = ["int2", "int4", "int8"];

    /// <summary>Inspects the mapped table and returns it resolved, or throws listing every mismatch.</summary>
    /// <param name="connection">An open connection to the read-model database.</param>
    /// <param name="projectionName">The projection, for error messages.</param>
    /// <param name="mapping">The mapping to check.</param>
    /// <param name="cancellationToken">Cancels the catalog queries.</param>
    /// <exception cref="Exceptions.InvalidIdentifierException">A name in the mapping is not a plain identifier.</exception>
    /// <exception cref="ReadModelMappingException">The table does not match the mapping.</exception>
    public static async Task<ReadModelTable> InspectAsync(NpgsqlConnection connection, string projectionName, ReadModelTableMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(mapping);
        var table = SqlIdentifier.From(mapping.Table, "read-model table");
        var schema = mapping.Schema is null ? (SqlIdentifier?)null : SqlIdentifier.From(mapping.Schema, "read-model schema");
        var display = schema is null ? table.Name : $"{schema.Value.Name}.{table.Name}";
        var errors = CheckShape(mapping);
        if (errors.Count > 0)
        {
            throw new ReadModelMappingException(projectionName, display, errors);
        }

        var regclass = schema is null ? table.Quoted : $"{schema.Value.Quoted}.{table.Quoted}";
        using var command = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    SELECT n.nspname, a.attname, t.typname, format_type(a.atttypid, a.atttypmod), a.attnotnull
                    FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    JOIN pg_type d ON d.oid = a.atttypid
                    JOIN pg_type t ON t.oid = CASE WHEN d.typtype = 'd' THEN d.typbasetype ELSE d.oid END
                    WHERE c.oid = to_regclass($1)
                    """) { Parameters = { new NpgsqlParameter<string> { TypedValue = regclass } } },
                new NpgsqlBatchCommand("""
                    SELECT array(SELECT a.attname::text
                                 FROM unnest(i.indkey) AS k(attnum)
                                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
                    FROM pg_index i
                    WHERE i.indrelid = coalesce(
                            -- A stable view over one versioned table (see docs/rebuild.md): the table behind it carries the index.
                            (SELECT min(d.refobjid::bigint)::oid FROM pg_rewrite r
                             JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
                             WHERE r.ev_class = to_regclass($1) AND d.refobjid <> r.ev_class
                             HAVING count(DISTINCT d.refobjid) = 1),
                            to_regclass($1))
                      AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                    """) { Parameters = { new NpgsqlParameter<string> { TypedValue = regclass } } },
            },
        };
        var columns = new Dictionary<string, PgColumn>(StringComparer.Ordinal);
        string? foundSchema = null;
        var uniqueIndexes = new List<string[]>();
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                foundSchema = reader.GetString(0);
                columns[reader.GetString(1)] = new PgColumn(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                uniqueIndexes.Add(reader.GetFieldValue<string[]>(0));
            }
        }

        if (foundSchema is null)
        {
            throw new ReadModelMappingException(projectionName, display, [$"Table {display} does not exist (or is not visible on the search path): create it, or fix Schema and Table in the mapping."]);
        }

        display = $"{foundSchema}.{table.Name}";
        var keys = Resolve(mapping.KeyColumns, "key column", "KeyColumns", columns, display, errors);
        var values = Resolve(mapping.ValueColumns, "value column", "ValueColumns", columns, display, errors);
        PgColumn? version = null;
        if (!columns.TryGetValue(mapping.VersionColumn, out var versionColumn))
        {
            errors.Add($"Table {display} has no version column '{mapping.VersionColumn}': the version guard needs it. Add it (ALTER TABLE {display} ADD COLUMN {mapping.VersionColumn} bigint NOT NULL DEFAULT 0) or set VersionColumn to the column holding the source version.");
        }
        else if (!IntegerTypes.Contains(versionColumn.TypeName))
        {
            errors.Add($"Version column '{mapping.VersionColumn}' of {display} is {versionColumn.FormattedType}: it must be bigint (or integer/smallint) so versions compare as numbers.");
        }
        else
        {
            version = versionColumn;
        }

        CheckTimestamp(mapping.ProjectedAtColumn, "ProjectedAtColumn", columns, display, errors);
        CheckTimestamp(mapping.TombstoneColumn, "TombstoneColumn", columns, display, errors);
        if (mapping.TombstoneColumn is not null)
        {
            foreach (var value in values.Where(v => v.NotNull))
            {
                errors.Add($"Value column '{value.Name}' of {display} is NOT NULL, but tombstoned rows hold NULL values: make it nullable (ALTER TABLE {display} ALTER COLUMN {value.Name} DROP NOT NULL) or set TombstoneColumn to null if the projection never deletes.");
            }
        }

        var keySet = mapping.KeyColumns.ToHashSet(StringComparer.Ordinal);
        if (keys.Count == mapping.KeyColumns.Count && !uniqueIndexes.Any(index => index.Length == keySet.Count && index.All(keySet.Contains)))
        {
            errors.Add($"Table {display} has no unique index or primary key on exactly ({string.Join(", ", mapping.KeyColumns)}): the guarded upsert needs one. Add it with CREATE UNIQUE INDEX ON {display} ({string.Join(", ", mapping.KeyColumns)}).");
        }

        if (errors.Count > 0)
        {
            throw new ReadModelMappingException(projectionName, display, errors);
        }

        return new ReadModelTable(projectionName, mapping, foundSchema, keys, version!, values);
    }

    private static List<string> CheckShape(ReadModelTableMapping mapping)
    {
        var errors = new List<string>();
        if (mapping.KeyColumns is null || mapping.KeyColumns.Count == 0)
        {
            errors.Add("KeyColumns is empty: list the columns that identify a row (for example tenant_id, case_id).");
        }

        if (mapping.ValueColumns is null)
        {
            errors.Add("ValueColumns is null: list the columns the projection writes (an empty list is allowed).");
        }

        if (mapping.RecomputeReturnsVersion && mapping.RecomputeSql is null)
        {
            errors.Add("RecomputeReturnsVersion is set but RecomputeSql is not: declare the recompute query (returning the version column) or clear RecomputeReturnsVersion.");
        }

        var all = (mapping.KeyColumns ?? []).Concat(mapping.ValueColumns ?? [])
            .Append(mapping.VersionColumn)
            .Concat(new[] { mapping.ProjectedAtColumn, mapping.TombstoneColumn }.OfType<string>())
            .ToList();
        foreach (var name in all)
        {
            SqlIdentifier.From(name, "column");
        }

        foreach (var duplicate in all.GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"Column '{duplicate.Key}' is mapped more than once (key, value, version, projected-at and tombstone columns must all differ).");
        }

        return errors;
    }

    private static List<PgColumn> Resolve(IReadOnlyList<string> names, string what, string property, Dictionary<string, PgColumn> columns, string display, List<string> errors)
    {
        var resolved = new List<PgColumn>();
        foreach (var name in names)
        {
            if (columns.TryGetValue(name, out var column))
            {
                resolved.Add(column);
            }
            else
            {
                errors.Add($"Table {display} has no {what} '{name}': add the column or fix {property} in the mapping.");
            }
        }

        return resolved;
    }

    private static void CheckTimestamp(string? name, string property, Dictionary<string, PgColumn> columns, string display, List<string> errors)
    {
        if (name is null)
        {
            return;
        }

        if (!columns.TryGetValue(name, out var column))
        {
            errors.Add($"Table {display} has no column '{name}' ({property}): add it as timestamptz or set {property} to null.");
        }
        else if (column.TypeName != "timestamptz")
        {
            errors.Add($"Column '{name}' ({property}) of {display} is {column.FormattedType}: it must be timestamptz.");
        }
    }
}
