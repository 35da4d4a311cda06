using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Projections;

namespace ReadModelKit.Testing.Harness;

/// <summary>
/// What the testing helpers need to apply a projection on a throwaway schema: a way to create a fresh projection,
/// its table mapping, and the SQL that creates its read-model table.
/// </summary>
public sealed record ProjectionSetup
{
    /// <summary>Creates a fresh projection instance; the helpers call it for every independent application (the oracle, each rebuild).</summary>
    public required Func<IProjection> Create { get; init; }

    /// <summary>The projection's table mapping. Its <see cref="ReadModelTableMapping.Schema"/> is replaced by a throwaway schema.</summary>
    public required ReadModelTableMapping Mapping { get; init; }

    /// <summary>
    /// The SQL that creates the read-model table named by <see cref="ReadModelTableMapping.Table"/>, with unqualified names:
    /// it runs with the throwaway schema first on the search path.
    /// </summary>
    public required string TableSql { get; init; }
}
