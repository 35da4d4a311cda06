using System.CommandLine;
using System.Globalization;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Rebuild;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary><c>rebuild start</c> (plan the next version, then backfill and validate it) and <c>rebuild run</c> (resume or re-validate the active run), with live progress.</summary>
internal static class RebuildRunCommands
{
    public static Command Start(ReadModelKitCommandContext context)
    {
        var tableSql = new Option<string>("--new-table-sql") { Description = "DDL creating the new version's table, with {0} for its name, for example \"CREATE TABLE {0} (LIKE case_list_v1 INCLUDING ALL, priority int)\" (default: a copy of the serving table).", HelpName = "SQL" };
        var planOnly = new Option<bool>("--plan-only") { Description = "Only plan: create the new version and start feeding it live writes; backfill later with rebuild run." };
        var throttle = RebuildSettingsOverride.Throttle();
        var chunkSize = RebuildSettingsOverride.ChunkSize();
        return RebuildCommands.Create(
            context,
            "start",
            "Plan a rebuild into the next version (the table is adopted behind its view first if needed; the new version receives live writes at once), then backfill it from the recompute query in key-ordered chunks (or, for a contract that rebuilds by ReplayEvents, replay the outbox stream from its start) and run the gate. Exit code 5 when the gate fails, 6 when a rebuild already runs.",
            RebuildCommands.ProjectionArgument(),
            [tableSql, planOnly, throttle, chunkSize],
            async (store, name, parse, cancellationToken) =>
            {
                using var settings = RebuildSettingsOverride.Apply(context, parse, name, throttle, chunkSize);
                var planned = await store.Rebuilds.StartAsync(name, parse.GetValue(tableSql), cancellationToken).ConfigureAwait(false);
                var replay = planned.Method == RebuildMethod.ReplayEvents;
                var estimate = planned.EstimatedRows is { } rows ? string.Create(CultureInfo.InvariantCulture, $" (about {rows} {(replay ? "event(s) to replay" : "row(s) to backfill")})") : string.Empty;
                var plannedText = string.Create(CultureInfo.InvariantCulture, $"{name}: planned run {planned.Id}: v{planned.FromVersion} -> v{planned.ToVersion}{estimate}; v{planned.ToVersion} receives live writes from now on.");
                if (parse.GetValue(planOnly))
                {
                    await RebuildOutput.WriteAsync(context, parse, store, name, "planned", planned, plannedText + $" {(replay ? "Replay" : "Backfill")} it with rebuild run {name}.", cancellationToken).ConfigureAwait(false);
                    return ReadModelKitExitCodes.Ok;
                }

                if (!context.WantsJson(parse))
                {
                    context.Console.WriteLine(plannedText);
                }

                return await RunToGateAsync(context, parse, store, name, "started", cancellationToken).ConfigureAwait(false);
            });
    }

    public static Command Run(ReadModelKitCommandContext context)
    {
        var throttle = RebuildSettingsOverride.Throttle();
        var chunkSize = RebuildSettingsOverride.ChunkSize();
        return RebuildCommands.Create(
            context,
            "run",
            "Resume the active rebuild after its last chunk (on any node, after a crash or a cancelled command) and run the gate; after a failed gate, validate again. Exit code 5 when the gate fails.",
            RebuildCommands.ProjectionArgument(),
            [throttle, chunkSize],
            async (store, name, parse, cancellationToken) =>
            {
                using var settings = RebuildSettingsOverride.Apply(context, parse, name, throttle, chunkSize);
                return await RunToGateAsync(context, parse, store, name, "run", cancellationToken).ConfigureAwait(false);
            });
    }

    /// <summary>Runs the active run up to the gate with progress, prints where it ended and returns the exit code.</summary>
    private static async Task<int> RunToGateAsync(ReadModelKitCommandContext context, ParseResult parse, NpgsqlReadModelStore store, string name, string action, CancellationToken cancellationToken)
    {
        var active = await store.Rebuilds.GetRunAsync(name, cancellationToken).ConfigureAwait(false);
        var title = active is { IsActive: true } ? $"{name} v{active.ToVersion}" : name;
        RebuildRun run;
        try
        {
            run = await RebuildProgressDisplay.RunAsync(context, parse, title, RebuildRunView.From(active)?.Unit ?? "row(s)", progress => store.Rebuilds.RunAsync(name, progress, cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return context.Fail(parse, ReadModelKitExitCodes.Failed, $"{name}: stopped; the chunk in progress was rolled back and the run stays resumable after its last chunk. Type rebuild run {name} to resume it (on any node), or rebuild cancel {name} to give it up.");
        }

        var view = RebuildRunView.From(run)!;
        var (code, next) = run.State switch
        {
            RebuildRunState.Ready => (ReadModelKitExitCodes.Ok, $"Next: rebuild cutover {name} switches readers to v{run.ToVersion}."),
            RebuildRunState.CutOver => (ReadModelKitExitCodes.Ok, $"Already cut over: rebuild retire {name} keeps v{run.ToVersion}, rebuild rollback {name} goes back."),
            RebuildRunState.Validating => (ReadModelKitExitCodes.GateFailed, $"Cutover is refused until the gate passes: fix the cause, then rebuild run {name} validates again; or rebuild cancel {name}."),
            _ => (ReadModelKitExitCodes.Failed, $"The run ended {run.State}{(run.Error is null ? string.Empty : ": " + run.Error)}. rebuild start {name} starts a new one."),
        };
        var text = $"{name}: {view.Summary()}; {run.RowsDone} {(run.Method == RebuildMethod.ReplayEvents ? "event(s) replayed" : "row(s) backfilled")}.{Environment.NewLine}{run.GateReport ?? "No gate report."}{Environment.NewLine}{next}";
        await RebuildOutput.WriteAsync(context, parse, store, name, action, run, text, cancellationToken).ConfigureAwait(false);
        return code;
    }
}
