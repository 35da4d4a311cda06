using Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The stable view readers query, over one versioned physical table. Its column list only ever grows: a switch keeps every existing
/// column in place (a column the target version lacks reads as a typed NULL) and appends the target's new columns, so readers'
/// prepared statements keep their result shape.
/// </summary>
internal sealed class StableView
{
    private readonly SqlIdentifier _schema;
    private readonly SqlIdentifier _name;

    public StableView(ReadModelTable table)
    {
        _schema = SqlIdentifier.From(table.Schema, "schema");
        _name = SqlIdentifier.From(table.Mapping.Table, "read-model table");
        Display = $"{table.Schema}.{table.Mapping.Table}";
    }

    /// <summary>The view's name as <c>schema.name</c>, for messages.</summary>
    public string Display { get; }

    /// <summary>The schema-qualified, quoted physical table of <paramref name="version"/>.</summary>
    public string Physical(int version) => $"{_schema.Quoted}.{SqlIdentifier.From(ProjectionVersions.PhysicalName(_name.Name, version), "versioned table").Quoted}";

    /// <summary>The physical table name of <paramref name="version"/> (unquoted).</summary>
    public string PhysicalName(int version) => ProjectionVersions.PhysicalName(_name.Name, version);

    /// <summary>What the stable name is now: 'r' a plain table, 'v' a view, null nothing.</summary>
    public async Task<char?> KindAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT relkind FROM pg_class WHERE oid = to_regclass($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"{_schema.Quoted}.{_name.Quoted}" });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is char kind ? kind : null;
    }

    /// <summary>
    /// Turns the plain table into version 1 behind the view, in the caller's transaction: rename, then a view with the same columns
    /// in the same order (readers' prepared statements re-resolve the name to the view with an identical result shape).
    /// </summary>
    public async Task AdoptAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var rename = new NpgsqlCommand($"ALTER TABLE {_schema.Quoted}.{_name.Quoted} RENAME TO {SqlIdentifier.From(PhysicalName(1), "versioned table").Quoted}", connection, transaction);
        await rename.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var columns = await ColumnsAsync(connection, Physical(1), cancellationToken).ConfigureAwait(false);
        using var create = new NpgsqlCommand($"CREATE VIEW {_schema.Quoted}.{_name.Quoted} AS SELECT {string.Join(", ", columns.Select(c => Quote(c.Name)))} FROM {Physical(1)}", connection, transaction);
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every way switching to <paramref name="version"/> would change existing view columns; empty when the switch only appends
    /// (or, when <paramref name="allowMissing"/>, fills columns the version lacks with NULL, as a rollback does).
    /// </summary>
    public async Task<IReadOnlyList<string>> ShapeProblemsAsync(NpgsqlConnection connection, int version, bool allowMissing, CancellationToken cancellationToken)
    {
        var view = await ColumnsAsync(connection, $"{_schema.Quoted}.{_name.Quoted}", cancellationToken).ConfigureAwait(false);
        var target = (await ColumnsAsync(connection, Physical(version), cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var column in view)
        {
            if (!target.TryGetValue(column.Name, out var found))
            {
                if (!allowMissing)
                {
                    problems.Add($"column '{column.Name}' ({column.Type}) is missing from {PhysicalName(version)}.");
                }
            }
            else if (found.Type != column.Type)
            {
                problems.Add($"column '{column.Name}' changes type from {column.Type} to {found.Type}.");
            }
        }

        return problems;
    }

    /// <summary>Repoints the view at <paramref name="version"/> (CREATE OR REPLACE VIEW), in the caller's transaction; the caller checked the shape.</summary>
    public async Task RepointAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int version, CancellationToken cancellationToken)
    {
        var view = await ColumnsAsync(connection, $"{_schema.Quoted}.{_name.Quoted}", cancellationToken).ConfigureAwait(false);
        var target = await ColumnsAsync(connection, Physical(version), cancellationToken).ConfigureAwait(false);
        var byName = target.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var select = view.Select(c => byName.ContainsKey(c.Name) ? Quote(c.Name) : $"NULL::{c.Type} AS {Quote(c.Name)}")
            .Concat(target.Where(c => view.All(v => v.Name != c.Name)).Select(c => Quote(c.Name)));
        using var command = new NpgsqlCommand($"CREATE OR REPLACE VIEW {_schema.Quoted}.{_name.Quoted} AS SELECT {string.Join(", ", select)} FROM {Physical(version)}", connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops the physical table of <paramref name="version"/> if it exists, in the caller's transaction.</summary>
    public async Task DropAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int version, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"DROP TABLE IF EXISTS {Physical(version)}", connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task<List<(string Name, string Type)>> ColumnsAsync(NpgsqlConnection connection, string relation, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("""
            SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = relation });
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var columns = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }
}
