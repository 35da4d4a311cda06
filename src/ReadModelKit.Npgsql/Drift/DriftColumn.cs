using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>A mapped read-model column with what drift checks need to know about it.</summary>
/// <param name="Column">The column as the mapping inspector resolved it.</param>
/// <param name="Type">Catalog facts about its type.</param>
/// <param name="Collation">The column's collation as quoted SQL (<c>"pg_catalog"."default"</c>), or null when the type has none.</param>
internal sealed record DriftColumn(PgColumn Column, DriftColumnType Type, string? Collation)
{
    /// <summary>The quoted column name.</summary>
    public string Quoted { get; } = SqlIdentifier.From(Column.Name, "column").Quoted;

    /// <summary>The literal naming the column in JSON objects (<c>'status'</c>); safe because identifiers are validated.</summary>
    public string JsonName => "'" + Column.Name + "'";
}
