namespace ReadModelKit.Npgsql.Drift;

/// <summary>The catalog facts about a column's type that decide how drift checks compare and hash it.</summary>
/// <param name="TypeName">The base type name (<c>pg_type.typname</c> after unwrapping domains), for example <c>numeric</c> or <c>_int4</c>.</param>
/// <param name="TypeType"><c>pg_type.typtype</c>: b base, c composite, e enum, r range, m multirange, p pseudo.</param>
/// <param name="Category"><c>pg_type.typcategory</c>: A for arrays, N numeric, S string, …</param>
/// <param name="ElementTypeName">For arrays, the element type name; otherwise null.</param>
/// <param name="ElementTypeType">For arrays, the element's <c>typtype</c>; otherwise null.</param>
internal readonly record struct DriftColumnType(string TypeName, char TypeType, char Category, string? ElementTypeName = null, char? ElementTypeType = null)
{
    /// <summary>A plain base type by name (tests and simple callers).</summary>
    public static DriftColumnType Base(string typeName) => new(typeName, 'b', 'X');
}
