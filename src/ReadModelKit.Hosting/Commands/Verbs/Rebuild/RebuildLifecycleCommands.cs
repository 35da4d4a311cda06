using System.CommandLine;
using System.Globalization;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary><c>rebuild adopt|cancel|cutover|rollback|retire</c>: the short steps of a rebuild, each one transaction of the orchestrator.</summary>
internal static class RebuildLifecycleCommands
{
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

    public static Command Cancel(ReadModelKitCommandContext context)
    {
        var keep = RebuildSettingsOverride.KeepTable();
        return RebuildCommands.Create(
            context,
            "cancel",
            "Cancel the active rebuild before its cutover: the new version stops receiving writes and its table is dropped (or kept); a node backfilling it stops after its current chunk. Exit code 6 when there is nothing to cancel.",
            RebuildCommands.ProjectionArgument(),
            [keep],
            async (store, name, parse, cancellationToken) =>
            {
                using var settings = RebuildSettingsOverride.Apply(context, parse, name, keepTable: keep);
                var run = await store.Rebuilds.CancelAsync(name, cancellationToken).ConfigureAwait(false);
                var text = $"{name}: {RebuildRunView.From(run)!.Summary()}; v{run.ToVersion} no longer receives writes and its table {RebuildOutput.Table(store, name, run.ToVersion)} was {Fate(context)}. v{run.FromVersion} keeps serving.";
                await RebuildOutput.WriteAsync(context, parse, store, name, "cancelled", run, text, cancellationToken).ConfigureAwait(false);
                return ReadModelKitExitCodes.Ok;
            });
    }

    public static Command Cutover(ReadModelKitCommandContext context) => RebuildCommands.Create(
        context,
        "cutover",
        "Switch readers to the new version in one short transaction (lock timeout, retries with back-off) once its gate passed; prints the gate report. Exit code 5 when the gate failed, 6 when no run is ready.",
        RebuildCommands.ProjectionArgument(),
        [],
        async (store, name, parse, cancellationToken) =>
        {
            var run = await store.Rebuilds.CutoverAsync(name, cancellationToken).ConfigureAwait(false);
            var graceEnds = run.CutOverAt!.Value + RebuildSettingsOverride.Current(context).GracePeriod;
            var text = string.Join(
                Environment.NewLine,
                run.GateReport ?? "No gate report.",
                $"{name}: readers now query v{run.ToVersion} (view {RebuildOutput.View(store, name)} over {RebuildOutput.Table(store, name, run.ToVersion)}).",
                string.Create(CultureInfo.InvariantCulture, $"v{run.FromVersion} keeps receiving writes until the grace period ends at {graceEnds:u}: rebuild rollback {name} goes back at once; rebuild retire {name} ends it (add --force before then)."));
            await RebuildOutput.WriteAsync(context, parse, store, name, "cut-over", run, text, cancellationToken).ConfigureAwait(false);
            return ReadModelKitExitCodes.Ok;
        });

    public static Command Rollback(ReadModelKitCommandContext context)
    {
        var keep = RebuildSettingsOverride.KeepTable();
        return RebuildCommands.Create(
            context,
            "rollback",
            "Switch readers back to the old version after a cutover (it received every write meanwhile, so it is current); the new version stops receiving writes and its table is dropped (or kept). Exit code 6 after retire or without a cutover.",
            RebuildCommands.ProjectionArgument(),
            [keep],
            async (store, name, parse, cancellationToken) =>
            {
                using var settings = RebuildSettingsOverride.Apply(context, parse, name, keepTable: keep);
                var run = await store.Rebuilds.RollbackAsync(name, cancellationToken).ConfigureAwait(false);
                var text = $"{name}: readers query v{run.FromVersion} again ({RebuildRunView.From(run)!.Summary()}); v{run.ToVersion} no longer receives writes and its table {RebuildOutput.Table(store, name, run.ToVersion)} was {Fate(context)}.";
                await RebuildOutput.WriteAsync(context, parse, store, name, "rolled-back", run, text, cancellationToken).ConfigureAwait(false);
                return ReadModelKitExitCodes.Ok;
            });
    }

    public static Command Retire(ReadModelKitCommandContext context)
    {
        var keep = RebuildSettingsOverride.KeepTable();
        var force = new Option<bool>("--force") { Description = "Retire before the grace period after the cutover has passed." };
        return RebuildCommands.Create(
            context,
            "retire",
            "End the grace period after a cutover: the old version stops receiving writes and its table is dropped (or kept); rollback is no longer possible. Exit code 6 before the grace period ends (add --force) or without a cutover.",
            RebuildCommands.ProjectionArgument(),
            [force, keep],
            async (store, name, parse, cancellationToken) =>
            {
                using var settings = RebuildSettingsOverride.Apply(context, parse, name, keepTable: keep);
                var run = await store.Rebuilds.RetireAsync(name, parse.GetValue(force), cancellationToken).ConfigureAwait(false);
                var text = $"{name}: v{run.FromVersion} retired: it no longer receives writes and its table {RebuildOutput.Table(store, name, run.FromVersion)} was {Fate(context)}. v{run.ToVersion} serves alone; a rollback is no longer possible.";
                await RebuildOutput.WriteAsync(context, parse, store, name, "retired", run, text, cancellationToken).ConfigureAwait(false);
                return ReadModelKitExitCodes.Ok;
            });
    }

    private static string Fate(ReadModelKitCommandContext context) => RebuildSettingsOverride.Current(context).KeepTables ? "kept" : "dropped";
}
