using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Mapping;

/// <summary>A projection's table mapping does not match the live table (missing table or column, wrong type, no unique index on the key). <see cref="Errors"/> lists every problem.</summary>
public sealed class ReadModelMappingException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection whose mapping is wrong.</param>
    /// <param name="table">The mapped table.</param>
    /// <param name="errors">Every problem found.</param>
    public ReadModelMappingException(string projectionName, string table, IReadOnlyList<string> errors)
        : base($"The table mapping of projection '{projectionName}' does not match table {table} ({errors.Count} {(errors.Count == 1 ? "problem" : "problems")}):{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", errors)}", projectionName)
    {
        Table = table;
        Errors = errors;
    }

    /// <summary>The mapped table.</summary>
    public string Table { get; }

    /// <summary>Every problem found, one sentence each, saying what to change.</summary>
    public IReadOnlyList<string> Errors { get; }
}
