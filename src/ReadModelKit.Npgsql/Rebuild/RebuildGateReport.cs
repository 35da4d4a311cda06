using System.Globalization;
using System.Text;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>The verdict of the gate before a cutover: each check's figures, and why it failed when it did.</summary>
public sealed record RebuildGateReport
{
    /// <summary>Whether every check passed: cutover is allowed.</summary>
    public bool Passed => Failures.Count == 0;

    /// <summary>Why the gate failed, one sentence each with what to do; empty when it passed.</summary>
    public required IReadOnlyList<string> Failures { get; init; }

    /// <summary>The drift check of the new version against the source.</summary>
    public required DriftReport Drift { get; init; }

    /// <summary>Live rows of the serving version.</summary>
    public required long OldRows { get; init; }

    /// <summary>Live rows of the new version.</summary>
    public required long NewRows { get; init; }

    /// <summary>The projection's lag when the gate ran, or null when nothing was projected yet.</summary>
    public double? LagSeconds { get; init; }

    /// <summary>A few lines for a log, a console and the run record.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.Append(invariant, $"Gate {(Passed ? "PASSED" : "FAILED")}: drift missing {Drift.Missing}, extra {Drift.Extra}, changed {Drift.Changed} of {Drift.CheckedRows} row(s); rows old {OldRows}, new {NewRows}; lag {(LagSeconds is { } lag ? lag.ToString("0.###", invariant) + " s" : "n/a")}");
        foreach (var failure in Failures)
        {
            text.AppendLine().Append(" - ").Append(failure);
        }

        return text.ToString();
    }
}
