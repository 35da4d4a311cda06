namespace ReadModelKit.Npgsql.Mapping;

/// <summary>A column of a live table as the catalog describes it.</summary>
/// <param name="Name">The column name.</param>
/// <param name="TypeName">The base type name (<c>pg_type.typname</c>, for example <c>int8</c>, <c>text</c>, <c>timestamptz</c>).</param>
/// <param name="FormattedType">The full type as SQL writes it (<c>character varying(20)</c>, <c>numeric(8,4)</c>).</param>
/// <param name="NotNull">Whether the column is NOT NULL.</param>
public sealed record PgColumn(string Name, string TypeName, string FormattedType, bool NotNull);
