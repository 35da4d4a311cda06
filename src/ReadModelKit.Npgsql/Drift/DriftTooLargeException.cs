using System.Globalization;
using ReadModelKit.Exceptions;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// A repair was refused because too much of the projection has drifted for a key-by-key repair: rebuild the projection instead.
/// </summary>
public sealed class DriftTooLargeException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="drifted">Drifted keys.</param>
    /// <param name="checkedRows">Rows checked.</param>
    /// <param name="maxShare">The configured limit.</param>
    public DriftTooLargeException(string projectionName, long drifted, long checkedRows, double maxShare)
        : base(Describe(projectionName, drifted, checkedRows, maxShare), projectionName)
    {
        Drifted = drifted;
        CheckedRows = checkedRows;
        MaxShare = maxShare;
    }

    /// <summary>Drifted keys.</summary>
    public long Drifted { get; }

    /// <summary>Rows checked.</summary>
    public long CheckedRows { get; }

    /// <summary>The configured limit.</summary>
    public double MaxShare { get; }

    private static string Describe(string projectionName, long drifted, long checkedRows, double maxShare) =>
        string.Create(CultureInfo.InvariantCulture, $"Projection '{projectionName}' has drifted on {drifted} of {checkedRows} checked row(s), more than the {maxShare * 100:0.##}% a key-by-key repair is allowed to fix. ")
        + "A rebuild is the right tool: rebuild the projection into a new version and cut over (or, if you are sure, raise DriftRepairOptions.MaxDriftShare).";
}
