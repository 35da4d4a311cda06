using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The new version's columns would change the stable view other than by appending columns (a column dropped, renamed, reordered or
/// retyped): readers' prepared statements would break at the switch. Nothing was changed.
/// </summary>
public sealed class IncompatibleViewShapeException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="view">The stable view.</param>
    /// <param name="problems">Every column that changes, one sentence each.</param>
    public IncompatibleViewShapeException(string projectionName, string view, IReadOnlyList<string> problems)
        : base($"The columns of the new version of projection '{projectionName}' are not an expansion of view {view}: {string.Join(" ", problems)} A switch may only append columns. Roll the change out in two steps: first rebuild into a version that keeps every existing column (new columns appended at the end) and deploy readers that no longer use the old column; then rebuild again without it.", projectionName)
    {
        View = view;
        Problems = problems;
    }

    /// <summary>The stable view.</summary>
    public string View { get; }

    /// <summary>Every column that changes.</summary>
    public IReadOnlyList<string> Problems { get; }
}
