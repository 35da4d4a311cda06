using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// What the recompute query returns, checked against the read-model columns: every mapped column must be there, and key columns whose
/// type differs from the read model's are compared through a cast (otherwise the raw column, so the source's indexes stay usable).
/// The probe is planned but returns no row; it runs with a parameter, so the server takes it as one statement whatever it holds.
/// </summary>
internal static class SourceShape
{
    private const string Prefix = "SELECT * FROM ";

    /// <summary>The key expressions over the recompute query aliased <paramref name="alias"/>, one per key column.</summary>
    /// <exception cref="RecomputeSqlException">The query is not valid in this database.</exception>
    /// <exception cref="DriftCheckException">The query lacks a mapped column.</exception>
    public static async Task<IReadOnlyList<string>> KeyExpressionsAsync(NpgsqlConnection connection, DriftTable table, string alias, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"{Prefix}{table.RecomputeSql} AS q LIMIT $1", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 0 });
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                types[reader.GetName(i)] = reader.GetPostgresType(i).InternalName;
            }
        }
        catch (PostgresException exception) when (RecomputeSqlException.IsQueryError(exception))
        {
            throw Invalid(table, exception, connection.Database);
        }

        var required = table.All.Select(c => c.Column.Name);
        if (table.Table.Mapping.RecomputeReturnsVersion)
        {
            required = required.Append(table.Table.Version.Name);
        }

        var absent = required.Where(name => !types.ContainsKey(name)).ToList();
        if (absent.Count > 0)
        {
            throw new DriftCheckException(
                $"The RecomputeSql of projection '{table.ProjectionName}' returns no column named {string.Join(", ", absent)}: it must return every key and value column (and the version column when RecomputeReturnsVersion is set) under the read-model column names (alias them with AS). It returns: {string.Join(", ", types.Keys)}.",
                table.ProjectionName);
        }

        return table.Keys.Select(k => types[k.Column.Name] == k.Column.TypeName ? $"{alias}.{k.Quoted}" : DriftTable.Cast(k, alias)).ToList();
    }

    /// <summary>The query does not plan in <paramref name="database"/>: the server's message, the position in the user's own SQL, and what to do.</summary>
    private static RecomputeSqlException Invalid(DriftTable table, PostgresException exception, string database)
    {
        var sql = table.Table.Mapping.RecomputeSql!;
        var position = exception.Position - Prefix.Length - RecomputeQuery.Opening.Length;
        var at = position >= 1 && position <= sql.Length ? $" at character {position} of the RecomputeSql" : "";
        var hint = exception.SqlState switch
        {
            PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName =>
                "Create it or fix the name (schema-qualify tables that are not on the search path); the query runs in the source database.",
            PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.UndefinedFunction =>
                "Fix the name; the query runs in the source database.",
            _ => "Fix the query: it must be one SELECT returning the key and value columns under the read-model column names.",
        };
        return new RecomputeSqlException(
            $"The RecomputeSql of projection '{table.ProjectionName}' is not a valid query in database '{database}': {exception.MessageText}{at} (SQLSTATE {exception.SqlState}). {hint}",
            table.ProjectionName,
            exception);
    }
}
