using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// What the recompute query returns, checked against the read-model columns: every mapped column must be there, and key columns whose
/// type differs from the read model's are compared through a cast (otherwise the raw column, so the source's indexes stay usable).
/// </summary>
internal static class SourceShape
{
    /// <summary>The key expressions over the recompute query aliased <paramref name="alias"/>, one per key column.</summary>
    /// <exception cref="DriftCheckException">The query lacks a mapped column.</exception>
    public static async Task<IReadOnlyList<string>> KeyExpressionsAsync(NpgsqlConnection connection, DriftTable table, string alias, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"SELECT * FROM ({table.RecomputeSql}) AS q LIMIT 0", connection);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                types[reader.GetName(i)] = reader.GetPostgresType(i).InternalName;
            }
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
}
