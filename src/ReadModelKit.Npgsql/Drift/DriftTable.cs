using Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// A projection's read-model table as drift checks see it: key and value columns with their catalog facts, the expected-state
/// query, and the SQL fragments both strategies share. The expected side selects the recompute query's columns cast to the
/// read-model types (what a repair would write); the actual side selects the live read-model rows (tombstones count as absent).
/// </summary>
internal sealed class DriftTable
{
    private DriftTable(ReadModelTable table, IReadOnlyList<DriftColumn> keys, IReadOnlyList<DriftColumn> values)
    {
        Table = table;
        Keys = keys;
        Values = values;
        RecomputeSql = RecomputeQuery.Embed(table.ProjectionName, table.Mapping.RecomputeSql!);
    }

    /// <summary>The checked read-model table.</summary>
    public ReadModelTable Table { get; }

    /// <summary>The projection.</summary>
    public string ProjectionName => Table.ProjectionName;

    /// <summary>The key columns.</summary>
    public IReadOnlyList<DriftColumn> Keys { get; }

    /// <summary>The value columns.</summary>
    public IReadOnlyList<DriftColumn> Values { get; }

    /// <summary>The expected-state query as a parenthesised subquery (<see cref="RecomputeQuery.Embed"/>).</summary>
    public string RecomputeSql { get; }

    /// <summary>Keys then values.</summary>
    public IEnumerable<DriftColumn> All => Keys.Concat(Values);

    /// <summary>Reads the catalog facts of the table's mapped columns.</summary>
    /// <exception cref="DriftCheckException">The mapping has no recompute query.</exception>
    public static async Task<DriftTable> LoadAsync(NpgsqlConnection connection, ReadModelTable table, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(table.Mapping.RecomputeSql))
        {
            throw new DriftCheckException(
                $"Projection '{table.ProjectionName}' has no RecomputeSql, so there is no expected state to compare with: set ReadModelTableMapping.RecomputeSql to a query over the authoritative tables returning the key and value columns.",
                table.ProjectionName);
        }

        using var command = new NpgsqlCommand("""
            SELECT a.attname, t.typname, t.typtype, t.typcategory, e.typname, e.typtype,
                   CASE WHEN a.attcollation = 0 THEN NULL ELSE format('%I.%I', cn.nspname, co.collname) END
            FROM pg_attribute a
            JOIN pg_type d ON d.oid = a.atttypid
            JOIN pg_type t ON t.oid = CASE WHEN d.typtype = 'd' THEN d.typbasetype ELSE d.oid END
            LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table.QualifiedName });
        var facts = new Dictionary<string, (DriftColumnType Type, string? Collation)>(StringComparer.Ordinal);
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var type = new DriftColumnType(
                    reader.GetString(1),
                    reader.GetChar(2),
                    reader.GetChar(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetChar(5));
                facts[reader.GetString(0)] = (type, reader.IsDBNull(6) ? null : reader.GetString(6));
            }
        }

        DriftColumn Resolve(PgColumn column) => facts.TryGetValue(column.Name, out var f)
            ? new DriftColumn(column, f.Type, f.Collation)
            : throw new DriftCheckException($"Column '{column.Name}' of {table.QualifiedName} disappeared since start-up: restart the application after schema changes.", table.ProjectionName);

        return new DriftTable(table, table.Keys.Select(Resolve).ToList(), table.Values.Select(Resolve).ToList());
    }

    /// <summary>Empty key arrays for this table's key columns (<see cref="Sql.KeyArrays"/>).</summary>
    public KeyArrays NewKeyArrays() => new(Table.Keys);

    /// <summary>The condition that a read-model row is live (not tombstoned).</summary>
    public string Live(string alias) => Table.Tombstone is { } tombstone ? $"{alias}.{tombstone} IS NULL" : "true";

    /// <summary>Column references of the given columns under <paramref name="alias"/>.</summary>
    public static IReadOnlyList<string> Refs(IEnumerable<DriftColumn> columns, string alias) => columns.Select(c => $"{alias}.{c.Quoted}").ToList();

    /// <summary>A recompute-query column cast to the read-model column type.</summary>
    public static string Cast(DriftColumn column, string alias) => $"CAST({alias}.{column.Quoted} AS {column.Column.FormattedType})";

    /// <summary>The recompute query's key and value columns cast to the read-model types, named as the read-model columns.</summary>
    public string ExpectedColumns(string alias) => string.Join(", ", All.Select(c => $"{Cast(c, alias)} AS {c.Quoted}"));

    /// <summary>The read-model key and value columns.</summary>
    public string ActualColumns(string alias) => string.Join(", ", All.Select(c => $"{alias}.{c.Quoted}"));

    /// <summary>A JSON object of the value columns under <paramref name="alias"/>, as text.</summary>
    public string ValuesJson(string alias) => Values.Count == 0
        ? "'{}'::jsonb::text"
        : $"jsonb_build_object({string.Join(", ", Values.Select(v => $"{v.JsonName}, {alias}.{v.Quoted}"))})::text";

    /// <summary>The row hash of the (already cast) key and value columns under <paramref name="alias"/>.</summary>
    public string RowHash(DriftRowHash mode, string alias) => CanonicalRowEncoding.RowHash(mode, All.Select(c => (c.Type, $"{alias}.{c.Quoted}")));
}
