namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Which physical version of a projection's table the stable view serves and which versions receive live writes.</summary>
/// <param name="Generation">Increases with every change of the two sets below.</param>
/// <param name="Serving">The version the stable view reads, or null while the table is a plain table (not adopted).</param>
/// <param name="Fed">The versions every apply batch writes, serving version first.</param>
public sealed record ProjectionVersions(long Generation, int? Serving, IReadOnlyList<int> Fed)
{
    /// <summary>The physical table name of <paramref name="version"/> for the stable name <paramref name="table"/>.</summary>
    /// <param name="table">The stable name (the mapping's table).</param>
    /// <param name="version">The version.</param>
    public static string PhysicalName(string table, int version) =>
        $"{table}_v{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
