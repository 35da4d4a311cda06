using System.CommandLine;
using System.Globalization;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Rebuild;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary><c>rebuild status [projection]</c>: per projection, the serving and fed versions and the last rebuild run (state, progress, owner, gate report, error) with the command to type next.</summary>
internal static class RebuildStatusCommand
{
    public static Command Create(ReadModelKitCommandContext context)
    {
        var projection = new Argument<string?>("projection") { Description = "Only this projection (default: all).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "Show which version serves, which versions receive live writes, and the last rebuild run: state, rows done, owner, gate report, error, and what to type next.") { projection };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<Row>();
            foreach (var name in context.Projections(store, parse.GetValue(projection), "rebuild status"))
            {
                var versions = await store.Rebuilds.GetVersionsAsync(name, cancellationToken).ConfigureAwait(false);
                var run = await store.Rebuilds.GetRunAsync(name, cancellationToken).ConfigureAwait(false);
                rows.Add(new Row(name, RebuildVersionsView.From(versions), RebuildRunView.From(run), Next(context, name, run)));
            }

            if (context.WantsJson(parse))
            {
                context.WriteJson(rows);
            }
            else
            {
                Render(context.Console, rows);
            }

            return ReadModelKitExitCodes.Ok;
        });
        return command;
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<Row> rows)
    {
        var table = new Table().AddColumns("projection", "serving", "fed", "last run", "state", "rows done", "owner", "gate");
        foreach (var r in rows)
        {
            var run = r.Run;
            table.AddRow(
                Markup.Escape(r.Projection),
                r.Versions.Serving is { } serving ? "v" + serving.ToString(CultureInfo.InvariantCulture) : "table (not adopted)",
                string.Join(", ", r.Versions.Fed.Select(v => "v" + v.ToString(CultureInfo.InvariantCulture))),
                run is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{run.Id}: v{run.FromVersion} -> v{run.ToVersion}"),
                run?.State ?? "-",
                run is null ? "-" : RebuildRunView.Rows(run.RowsDone, run.State is nameof(RebuildRunState.Planned) or nameof(RebuildRunState.Backfilling) or nameof(RebuildRunState.Replaying) ? run.EstimatedRows : null, run.Unit),
                Markup.Escape(run?.Owner ?? "-"),
                run?.GatePassed switch { true => "[green]passed[/]", false => "[red]failed[/]", null => "-" });
        }

        console.Write(table);
        foreach (var r in rows)
        {
            if (r.Run?.GateReport is { } report && r.Run.Active)
            {
                console.WriteLine($"{r.Projection}: {report}");
            }

            if (r.Run?.Error is { } error)
            {
                console.MarkupLineInterpolated($"[red]{r.Projection}:[/] last error: {error}");
            }

            if (r.Next is { } next)
            {
                console.MarkupLineInterpolated($"[yellow]{r.Projection}:[/] {next}");
            }
        }
    }

    /// <summary>What to type next for a run in this state, or null when nothing is pending.</summary>
    private static string? Next(ReadModelKitCommandContext context, string name, RebuildRun? run) => run?.State switch
    {
        RebuildRunState.Planned or RebuildRunState.Backfilling or RebuildRunState.Replaying or RebuildRunState.CatchingUp => run.Owner is { } owner
            ? $"node '{owner}' runs it; if that node is gone, its lease expires and rebuild run {name} resumes it after its last {(run.Method == RebuildMethod.ReplayEvents ? "replayed batch" : "chunk")}."
            : $"rebuild run {name} resumes it after its last {(run.Method == RebuildMethod.ReplayEvents ? "replayed batch (events replayed so far are kept)" : "chunk (rows done so far are kept)")}.",
        RebuildRunState.Validating when run.GatePassed == false => $"the gate failed: fix the cause, then rebuild run {name} validates again; or rebuild cancel {name}.",
        RebuildRunState.Validating => $"rebuild run {name} runs the gate.",
        RebuildRunState.Ready => $"the gate passed: rebuild cutover {name} switches readers to v{run.ToVersion}.",
        RebuildRunState.CutOver => string.Create(CultureInfo.InvariantCulture, $"v{run.ToVersion} serves, v{run.FromVersion} is still fed until {run.CutOverAt + RebuildSettingsOverride.Current(context).GracePeriod:u}: rebuild retire {name} ends the grace period, rebuild rollback {name} goes back."),
        _ => null,
    };

    private sealed record Row(string Projection, RebuildVersionsView Versions, RebuildRunView? Run, string? Next);
}
