using System.CommandLine;
using System.Globalization;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Rebuild;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary><c>rebuild adopt|cancel|cutover|rollback|retire</c>: the short steps of a rebuild, each one transaction of the orchestrator.</summary>
internal static class RebuildLifecycleCommands
{
    private delegate Task<RebuildRun> StepAction(NpgsqlReadModelStore store, string projection, ParseResult parse, CancellationToken cancellationToken);

    public static Command Adopt(ReadModelKitCommandContext context) => RebuildCommands.Create(
        context,
        "adopt",
        "Put the projection's plain table behind a view of the same name once (the table becomes <table>_v1), safely under load; rebuild start does it too. A no-op when already adopted.",
        RebuildCommands.ProjectionArgument(),
        [],
        async (store, name, parse, cancellationToken) =>
        {
            var before = await store.Rebuilds.GetVersionsAsync(name, cancellationToken).ConfigureAwait(false);
            var after = await store.Rebuilds.AdoptAsync(name, cancellationToken).ConfigureAwait(false);
            var versions = RebuildVersionsView.From(after);
            var text = before.Serving is null
                ? $"{name}: adopted: the table is now {RebuildOutput.Table(store, name, 1)} and readers query view {RebuildOutput.View(store, name)} over it; {versions.Describe()}."
                : $"{name}: already served by view {RebuildOutput.View(store, name)}; {versions.Describe()}. Nothing changed.";
            await RebuildOutput.WriteAsync(context, parse, store, name, before.Serving is null ? "adopted" : "unchanged", null, text, cancellationToken).ConfigureAwait(false);
            return ReadModelKitExitCodes.Ok;
        });

    public static Command Cancel(ReadModelKitCommandContext context) => Step(
        context,
        "cancel",
        "cancelled",
        "Cancel the active rebuild before its cutover: the new version stops receiving writes and its table is dropped (or kept); a node backfilling it stops after its current chunk. Exit code 6 when there is nothing to cancel.",
        [],
        keepTable: true,
        (store, name, _, cancellationToken) => store.Rebuilds.CancelAsync(name, cancellationToken),
        (store, name, run) => $"{name}: {RebuildRunView.From(run)!.Summary()}; v{run.ToVersion} no longer receives writes and its table {RebuildOutput.Table(store, name, run.ToVersion)} was {Fate(context)}. v{run.FromVersion} keeps serving.");

    public static Command Cutover(ReadModelKitCommandContext context) => Step(
        context,
        "cutover",
        "cut-over",
        "Switch readers to the new version in one short transaction (lock timeout, retries with back-off) once its gate passed; prints the gate report. Exit code 5 when the gate failed, 6 when no run is ready.",
        [],
        keepTable: false,
        (store, name, _, cancellationToken) => store.Rebuilds.CutoverAsync(name, cancellationToken),
        (store, name, run) => string.Join(
            Environment.NewLine,
            run.GateReport ?? "No gate report.",
            $"{name}: readers now query v{run.ToVersion} (view {RebuildOutput.View(store, name)} over {RebuildOutput.Table(store, name, run.ToVersion)}).",
            string.Create(CultureInfo.InvariantCulture, $"v{run.FromVersion} keeps receiving writes until the grace period ends at {run.CutOverAt + RebuildSettingsOverride.Current(context).GracePeriod:u}: rebuild rollback {name} goes back at once; rebuild retire {name} ends it (add --force before then).")));

    public static Command Rollback(ReadModelKitCommandContext context) => Step(
        context,
        "rollback",
        "rolled-back",
        "Switch readers back to the old version after a cutover (it received every write meanwhile, so it is current); the new version stops receiving writes and its table is dropped (or kept). Exit code 6 after retire or without a cutover.",
        [],
        keepTable: true,
        (store, name, _, cancellationToken) => store.Rebuilds.RollbackAsync(name, cancellationToken),
        (store, name, run) => $"{name}: readers query v{run.FromVersion} again ({RebuildRunView.From(run)!.Summary()}); v{run.ToVersion} no longer receives writes and its table {RebuildOutput.Table(store, name, run.ToVersion)} was {Fate(context)}.");

    public static Command Retire(ReadModelKitCommandContext context)
    {
        var force = new Option<bool>("--force") { Description = "Retire before the grace period after the cutover has passed." };
        return Step(
            context,
            "retire",
            "retired",
            "End the grace period after a cutover: the old version stops receiving writes and its table is dropped (or kept); rollback is no longer possible. Exit code 6 before the grace period ends (add --force) or without a cutover.",
            [force],
            keepTable: true,
            (store, name, parse, cancellationToken) => store.Rebuilds.RetireAsync(name, parse.GetValue(force), cancellationToken),
            (store, name, run) => $"{name}: v{run.FromVersion} retired: it no longer receives writes and its table {RebuildOutput.Table(store, name, run.FromVersion)} was {Fate(context)}. v{run.ToVersion} serves alone; a rollback is no longer possible.");
    }

    /// <summary>A step that takes the projection (and <c>--keep-table</c> when the step stops feeding a version), runs, and prints what changed.</summary>
    private static Command Step(ReadModelKitCommandContext context, string verb, string action, string description, Option[] options, bool keepTable, StepAction step, Func<NpgsqlReadModelStore, string, RebuildRun, string> describe)
    {
        var keep = keepTable ? RebuildSettingsOverride.KeepTable() : null;
        return RebuildCommands.Create(
            context,
            verb,
            description,
            RebuildCommands.ProjectionArgument(),
            keep is null ? options : [.. options, keep],
            async (store, name, parse, cancellationToken) =>
            {
                using var settings = RebuildSettingsOverride.Apply(context, parse, name, keepTable: keep);
                var run = await step(store, name, parse, cancellationToken).ConfigureAwait(false);
                await RebuildOutput.WriteAsync(context, parse, store, name, action, run, describe(store, name, run), cancellationToken).ConfigureAwait(false);
                return ReadModelKitExitCodes.Ok;
            });
    }

    private static string Fate(ReadModelKitCommandContext context) => RebuildSettingsOverride.Current(context).KeepTables ? "kept" : "dropped";
}
