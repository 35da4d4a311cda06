using System.Globalization;
using ReadModelKit.Npgsql.Rebuild;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary>A rebuild run as the command line prints it and as <c>--json</c> returns it (states as names).</summary>
internal sealed record RebuildRunView(
    long Id,
    int FromVersion,
    int ToVersion,
    string State,
    string Method,
    bool Active,
    long RowsDone,
    long? EstimatedRows,
    IReadOnlyList<string>? LastKey,
    string? Owner,
    bool? GatePassed,
    string? GateReport,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? BackfillStartedAt,
    DateTimeOffset? CutOverAt,
    DateTimeOffset? FinishedAt)
{
    public static RebuildRunView? From(RebuildRun? run) => run is null ? null : new(
        run.Id,
        run.FromVersion,
        run.ToVersion,
        run.State.ToString(),
        run.Method.ToString(),
        run.IsActive,
        run.RowsDone,
        run.EstimatedRows,
        run.LastKey,
        run.Owner,
        run.GatePassed,
        run.GateReport,
        run.Error,
        run.CreatedAt,
        run.BackfillStartedAt,
        run.CutOverAt,
        run.FinishedAt);

    /// <summary>What <see cref="RowsDone"/> counts: rows of a backfill, events of a replay.</summary>
    public string Unit => Method == nameof(ReadModelKit.Contracts.RebuildMethod.ReplayEvents) ? "event(s)" : "row(s)";

    /// <summary>One line: <c>run 3 v1 -> v2 Backfilling 1200 of ~5000 row(s) (24%)</c>, or <c>… Replaying 800 of ~9000 event(s) (8%)</c>.</summary>
    public string Summary()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"run {Id} v{FromVersion} -> v{ToVersion} {State}");
        return State is nameof(RebuildRunState.Planned) or nameof(RebuildRunState.Backfilling) or nameof(RebuildRunState.Replaying) ? text + ", " + Rows(RowsDone, EstimatedRows, Unit) : text;
    }

    /// <summary>
    /// <c>1200 of ~5000 row(s) (24%)</c>, or <c>1200 row(s)</c> without an estimate or once past it: the estimate is the planner's
    /// (a table never analyzed gives a guess), so it is shown only while it still says something.
    /// </summary>
    public static string Rows(long done, long? estimate, string unit) => estimate is > 0 and var total && done < total
        ? string.Create(CultureInfo.InvariantCulture, $"{done} of ~{total} {unit} ({done * 100 / total}%)")
        : string.Create(CultureInfo.InvariantCulture, $"{done} {unit}");
}

/// <summary>The versions of a projection's table as the command line prints them.</summary>
internal sealed record RebuildVersionsView(int? Serving, IReadOnlyList<int> Fed, long Generation)
{
    public static RebuildVersionsView From(ProjectionVersions versions) => new(versions.Serving, versions.Fed, versions.Generation);

    public string Describe() => Serving is { } serving
        ? string.Create(CultureInfo.InvariantCulture, $"v{serving} serves; live writes go to {string.Join(", ", Fed.Select(v => "v" + v.ToString(CultureInfo.InvariantCulture)))}")
        : "a plain table (not adopted yet: rebuild adopt or rebuild start puts it behind its view)";
}
