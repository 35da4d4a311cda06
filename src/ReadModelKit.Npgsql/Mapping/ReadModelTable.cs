using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Mapping;

/// <summary>A mapping checked against the live table: quoted names and the catalog types of every mapped column.</summary>
public sealed class ReadModelTable
{
    internal ReadModelTable(
        string projectionName,
        ReadModelTableMapping mapping,
        string schema,
        IReadOnlyList<PgColumn> keys,
        PgColumn version,
        IReadOnlyList<PgColumn> values)
    {
        ProjectionName = projectionName;
        Mapping = mapping;
        Schema = schema;
        Keys = keys;
        Version = version;
        Values = values;
        QualifiedName = $"{SqlIdentifier.From(schema, "schema").Quoted}.{SqlIdentifier.From(mapping.Table, "read-model table").Quoted}";
    }

    /// <summary>The projection the table belongs to.</summary>
    public string ProjectionName { get; }

    /// <summary>The mapping as declared.</summary>
    public ReadModelTableMapping Mapping { get; }

    /// <summary>The schema the table was found in.</summary>
    public string Schema { get; }

    /// <summary>The schema-qualified, quoted table name.</summary>
    public string QualifiedName { get; private init; }

    /// <summary>The key columns, in mapping order.</summary>
    public IReadOnlyList<PgColumn> Keys { get; }

    /// <summary>The version column.</summary>
    public PgColumn Version { get; }

    /// <summary>The value columns, in mapping order.</summary>
    public IReadOnlyList<PgColumn> Values { get; }

    /// <summary>The quoted projected-at column, or null.</summary>
    public string? ProjectedAt => Mapping.ProjectedAtColumn is { } c ? Quote(c) : null;

    /// <summary>The quoted tombstone column, or null.</summary>
    public string? Tombstone => Mapping.TombstoneColumn is { } c ? Quote(c) : null;

    /// <summary>The same mapping on another physical table of the same schema and columns (a version of the table behind its stable view).</summary>
    /// <param name="physicalTable">The physical table's name.</param>
    internal ReadModelTable WithTable(string physicalTable) =>
        new(ProjectionName, Mapping, Schema, Keys, Version, Values)
        {
            QualifiedName = $"{SqlIdentifier.From(Schema, "schema").Quoted}.{SqlIdentifier.From(physicalTable, "read-model table").Quoted}",
        };

    /// <summary>Quotes a validated column name.</summary>
    internal static string Quote(string column) => SqlIdentifier.From(column, "column").Quoted;

    /// <summary>The quoted key columns joined with commas, optionally prefixed by an alias.</summary>
    internal string KeyList(string? alias = null) => string.Join(", ", Keys.Select(k => (alias is null ? "" : alias + ".") + Quote(k.Name)));
}
