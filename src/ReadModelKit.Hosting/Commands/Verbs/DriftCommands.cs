using System.CommandLine;
using System.Globalization;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs;

/// <summary>
/// <c>drift check</c> (all projections or one; scope all, tenant, key range; sampled or full; exit code 3 when drift is found) and
/// <c>drift repair</c> (check then recompute the drifted keys, or recompute given keys).
/// </summary>
internal sealed class DriftCommands : IReadModelKitCommandGroup
{
    public void AddTo(RootCommand root, ReadModelKitCommandContext context)
    {
        var drift = new Command("drift", "Compare read models with their source (recompute query) and repair what drifted.");
        drift.Subcommands.Add(Check(context));
        drift.Subcommands.Add(Repair(context));
        root.Subcommands.Add(drift);
    }

    private static Command Check(ReadModelKitCommandContext context)
    {
        var scope = new ScopeOptions(projectionRequired: false);
        var check = new Command("check", "Check for drift and record incidents. Exit code 3 when drift is found.");
        scope.AddTo(check);
        check.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var projection = parse.GetValue(scope.Projection);
            var names = projection is null
                ? [.. context.Projections(store, null).Where(n => store.GetApplier(n).Table.Mapping.RecomputeSql is not null)]
                : context.Projections(store, projection);
            var options = scope.Options(parse, store, projection);
            var reports = await RunWithProgressAsync(context, parse, names, (name, token) => store.Drift.CheckAsync(name, options, token), cancellationToken).ConfigureAwait(false);
            Render(context, parse, reports);
            return reports.Any(r => r.Total > 0) ? ReadModelKitExitCodes.DriftFound : ReadModelKitExitCodes.Ok;
        });
        return check;
    }

    private static Command Repair(ReadModelKitCommandContext context)
    {
        var scope = new ScopeOptions(projectionRequired: true);
        var keys = new Option<string[]>("--key", "-k") { Description = "Recompute exactly this key (values separated by '/'); repeat for more keys. Excludes the scope options.", Arity = ArgumentArity.OneOrMore };
        var repair = new Command("repair", "Check the scope for drift and recompute the drifted keys from the source, or recompute the keys given with --key. Refuses when so much drifted that a rebuild is the right tool.") { keys };
        scope.AddTo(repair);
        repair.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var name = context.Projections(store, parse.GetRequiredValue(scope.Projection))[0];
            var given = parse.GetValue(keys) ?? [];
            DriftRepairResult result;
            DriftReport? report = null;
            if (given.Length > 0)
            {
                if (scope.AnyGiven(parse))
                {
                    throw new CommandUsageException("Use --key alone to recompute given keys, or a scope (--tenant, --from/--to, --sample/--full, --parallel-workers) to check and repair what drifted in it; not both.", name);
                }

                var parsed = given.Select(k => ReadModelKitCommandContext.ParseKey(store, name, k, "--key")).ToList();
                result = await store.Drift.RepairKeysAsync(name, parsed, null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                report = await store.Drift.CheckAsync(name, scope.Options(parse, store, name), cancellationToken).ConfigureAwait(false);
                result = report.Total == 0 ? default : await store.Drift.RepairAsync(report, null, cancellationToken).ConfigureAwait(false);
            }

            if (context.WantsJson(parse))
            {
                context.WriteJson(new { projection = name, found = report?.Total, result.KeysRepaired, result.RowsWritten, result.IncidentsClosed, result.Batches });
            }
            else
            {
                var found = report is null ? string.Empty : $"{report.Total} drifted row(s) found in {report.Scope}; ";
                context.Console.MarkupLineInterpolated($"{name}: {found}{result.KeysRepaired} key(s) recomputed, {result.RowsWritten} row(s) written, {result.IncidentsClosed} incident(s) closed.");
            }

            return ReadModelKitExitCodes.Ok;
        });
        return repair;
    }

    private static async Task<List<DriftReport>> RunWithProgressAsync(ReadModelKitCommandContext context, ParseResult parse, IReadOnlyList<string> names, Func<string, CancellationToken, Task<DriftReport>> check, CancellationToken cancellationToken)
    {
        var reports = new List<DriftReport>();
        if (context.WantsJson(parse) || !context.Console.Profile.Capabilities.Interactive)
        {
            foreach (var name in names)
            {
                reports.Add(await check(name, cancellationToken).ConfigureAwait(false));
            }

            return reports;
        }

        await context.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("drift check", maxValue: Math.Max(1, names.Count));
                foreach (var name in names)
                {
                    task.Description = "drift check " + name;
                    reports.Add(await check(name, cancellationToken).ConfigureAwait(false));
                    task.Increment(1);
                }
            }).ConfigureAwait(false);
        return reports;
    }

    private static void Render(ReadModelKitCommandContext context, ParseResult parse, IReadOnlyList<DriftReport> reports)
    {
        if (context.WantsJson(parse))
        {
            context.WriteJson(reports.Select(r => new
            {
                projection = r.ProjectionName,
                mode = r.Mode.ToString(),
                scope = r.Scope.ToString(),
                r.CheckedRows,
                r.Missing,
                r.Extra,
                r.Changed,
                r.Unconfirmed,
                r.IncidentsRecorded,
                durationMs = Math.Round(r.Duration.TotalMilliseconds),
            }));
            return;
        }

        var table = new Table().AddColumns("projection", "mode", "scope", "checked", "missing", "extra", "changed", "unconfirmed", "recorded", "ms");
        foreach (var r in reports)
        {
            table.AddRow(Markup.Escape(r.ProjectionName), r.Mode.ToString(), Markup.Escape(r.Scope.ToString()), N(r.CheckedRows), N(r.Missing), N(r.Extra), N(r.Changed), N(r.Unconfirmed), N(r.IncidentsRecorded), N((long)r.Duration.TotalMilliseconds));
        }

        context.Console.Write(table);
        var drifted = reports.Sum(r => r.Total);
        context.Console.MarkupLine(drifted == 0
            ? "[green]No drift.[/]"
            : $"[red]{drifted} drifted row(s)[/] recorded as incidents. Repair with [bold]drift repair --projection NAME[/] (same scope options).");
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The scope and mode options shared by check and repair.</summary>
    private sealed class ScopeOptions(bool projectionRequired)
    {
        public Option<string> Projection { get; } = new("--projection", "-p") { Description = projectionRequired ? "The projection." : "Only this projection (default: every projection with a recompute query).", Required = projectionRequired };

        public Option<string> Tenant { get; } = new("--tenant", "-t") { Description = "Only keys whose first key column equals this value (one tenant)." };

        public Option<string> From { get; } = new("--from") { Description = "The first key included (values separated by '/', for example t1/100)." };

        public Option<string> To { get; } = new("--to") { Description = "The first key excluded (values separated by '/')." };

        public Option<bool> Sample { get; } = new("--sample") { Description = "Compare a sample of key ranges (fast); excludes --full." };

        public Option<bool> Full { get; } = new("--full") { Description = "Compare every key in the scope (the default); excludes --sample." };

        public Option<int?> Ranges { get; } = new("--ranges") { Description = "Key ranges a sampled check compares (with --sample; default 8)." };

        public Option<int?> ParallelWorkers { get; } = new("--parallel-workers") { Description = "Parallel workers PostgreSQL may add to each statement of the check (default 0)." };

        public void AddTo(Command command)
        {
            command.Options.Add(Projection);
            command.Options.Add(Tenant);
            command.Options.Add(From);
            command.Options.Add(To);
            command.Options.Add(Sample);
            command.Options.Add(Full);
            command.Options.Add(Ranges);
            command.Options.Add(ParallelWorkers);
        }

        public bool AnyGiven(ParseResult parse) =>
            parse.GetValue(Tenant) is not null || parse.GetValue(From) is not null || parse.GetValue(To) is not null || parse.GetValue(Sample) || parse.GetValue(Full) || parse.GetValue(Ranges) is not null
            || parse.GetValue(ParallelWorkers) is not null;

        public DriftCheckOptions Options(ParseResult parse, NpgsqlReadModelStore store, string? projection)
        {
            var sample = parse.GetValue(Sample);
            if (sample && parse.GetValue(Full))
            {
                throw new CommandUsageException("--sample and --full exclude each other: type --sample to compare a sample of key ranges, or --full (the default) to compare every key.", projection);
            }

            var ranges = parse.GetValue(Ranges);
            if (ranges is not null && !sample)
            {
                throw new CommandUsageException("--ranges sets how many key ranges a sampled check compares: add --sample, or drop --ranges.", projection);
            }

            if (ranges < 1)
            {
                throw new CommandUsageException($"--ranges {ranges}: type a number of key ranges of at least 1, for example --sample --ranges 8.", projection);
            }

            var workers = parse.GetValue(ParallelWorkers);
            if (workers is < 0 or > DriftCheckOptions.MaxParallelWorkersLimit)
            {
                throw new CommandUsageException($"--parallel-workers {workers}: type a number of workers from 0 to {DriftCheckOptions.MaxParallelWorkersLimit} (PostgreSQL's limit), for example --parallel-workers 2.", projection);
            }

            var tenant = parse.GetValue(Tenant);
            var from = parse.GetValue(From);
            var to = parse.GetValue(To);
            var scope = DriftScope.All;
            if (tenant is not null || from is not null || to is not null)
            {
                if (projection is null)
                {
                    throw new CommandUsageException("--tenant, --from and --to are keys of one table: add --projection NAME.");
                }

                scope = new DriftScope
                {
                    KeyPrefix = tenant is null ? [] : [.. ReadModelKitCommandContext.ParseKey(store, projection, tenant, "--tenant", prefix: true)],
                    From = from is null ? null : ReadModelKitCommandContext.ParseKey(store, projection, from, "--from"),
                    To = to is null ? null : ReadModelKitCommandContext.ParseKey(store, projection, to, "--to"),
                };
            }

            var options = new DriftCheckOptions { Mode = sample ? DriftCheckMode.Sample : DriftCheckMode.Full, Scope = scope, MaxParallelWorkers = workers ?? 0 };
            if (ranges is { } n)
            {
                options.SampleRanges = n;
            }

            return options;
        }
    }
}
