using System.CommandLine;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Rebuild;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary>
/// <c>rebuild repair &lt;projection&gt; (--key K … | --tenant T [--from A] [--to B] | --from A / --to B | --all)</c>: recompute keys from the
/// source into the serving table while it serves, in bounded batches under the version guard, with progress.
/// </summary>
internal static class RebuildRepairCommand
{
    public static Command Create(ReadModelKitCommandContext context)
    {
        var keys = new Option<string[]>("--key", "-k") { Description = "Recompute exactly this key (one entity; values separated by '/', for example t1/42); repeat for more keys.", Arity = ArgumentArity.OneOrMore, HelpName = "KEY" };
        var tenant = new Option<string>("--tenant", "-t") { Description = "Recompute the keys whose first key column(s) equal this (one tenant); --from/--to narrow it.", HelpName = "T" };
        var from = new Option<string>("--from") { Description = "The first key included (a full key, values separated by '/').", HelpName = "KEY" };
        var to = new Option<string>("--to") { Description = "The first key excluded (a full key, values separated by '/').", HelpName = "KEY" };
        var all = new Option<bool>("--all") { Description = "Recompute every key (a full repair in place, without a new version)." };
        var resumeAfter = new Option<string>("--resume-after") { Description = "Continue an interrupted repair of the same scope after this key (the last key it reported).", HelpName = "KEY" };
        var throttle = RebuildSettingsOverride.Throttle();
        var chunkSize = RebuildSettingsOverride.ChunkSize();
        return RebuildCommands.Create(
            context,
            "repair",
            "Recompute one key, a tenant, a key range or every key from the recompute query into the serving table while it serves: bounded batches, each its own transaction, under the version guard (a newer live write is never undone); keys the source no longer has are tombstoned. Needs no drift check first.",
            RebuildCommands.ProjectionArgument(),
            [keys, tenant, from, to, all, resumeAfter, throttle, chunkSize],
            async (store, name, parse, cancellationToken) =>
            {
                var given = parse.GetValue(keys) ?? [];
                var (scopeTenant, scopeFrom, scopeTo, scopeAll) = (parse.GetValue(tenant), parse.GetValue(from), parse.GetValue(to), parse.GetValue(all));
                var ranged = scopeTenant is not null || scopeFrom is not null || scopeTo is not null;
                var resume = parse.GetValue(resumeAfter);
                if (given.Length == 0 && !ranged && !scopeAll)
                {
                    throw new CommandUsageException($"Say which keys to repair: --key KEY (one entity, repeatable), --tenant T (narrowed by --from/--to), --from KEY and/or --to KEY (a key range), or --all. For example rebuild repair {name} --key t1/42.", name);
                }

                if (scopeAll && (given.Length > 0 || ranged))
                {
                    throw new CommandUsageException("--all repairs every key: drop --key, --tenant, --from and --to, or drop --all.", name);
                }

                if (given.Length > 0 && ranged)
                {
                    throw new CommandUsageException("--key repairs exactly the keys given: drop --tenant, --from and --to, or drop --key.", name);
                }

                if (given.Length > 0 && resume is not null)
                {
                    throw new CommandUsageException("--resume-after continues an interrupted repair of a scope (--tenant, --from/--to or --all), not of --key: drop it.", name);
                }

                var scopes = given.Length > 0
                    ? [.. given.Select(k => new DriftScope { KeyPrefix = [.. ReadModelKitCommandContext.ParseKey(store, name, k, "--key")] })]
                    : new List<DriftScope>
                    {
                        new()
                        {
                            KeyPrefix = scopeTenant is null ? [] : [.. ReadModelKitCommandContext.ParseKey(store, name, scopeTenant, "--tenant", prefix: true)],
                            From = scopeFrom is null ? null : ReadModelKitCommandContext.ParseKey(store, name, scopeFrom, "--from"),
                            To = scopeTo is null ? null : ReadModelKitCommandContext.ParseKey(store, name, scopeTo, "--to"),
                        },
                    };
                IReadOnlyList<string>? after = null;
                if (resume is not null)
                {
                    ReadModelKitCommandContext.ParseKey(store, name, resume, "--resume-after");
                    after = resume.Split('/');
                }

                using var settings = RebuildSettingsOverride.Apply(context, parse, name, throttle, chunkSize);
                var scopeText = string.Join("; ", scopes.Select(s => s.ToString()));
                RepairResult total;
                try
                {
                    total = await RebuildProgressDisplay.RunAsync(context, parse, $"{name} repair {scopeText}", "key(s)", progress => RepairAsync(store, name, scopes, after, progress, cancellationToken)).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return context.Fail(parse, ReadModelKitExitCodes.Failed, $"{name}: repair stopped; the batches done stay repaired. Type the same command again to finish (repeating a batch is harmless).");
                }

                if (context.WantsJson(parse))
                {
                    context.WriteJson(new { projection = name, scope = scopeText, total.KeysChecked, total.RowsWritten, total.Batches, total.LastKey });
                }
                else
                {
                    var last = total.LastKey is null ? string.Empty : $" Last key {string.Join('/', total.LastKey)}.";
                    context.Console.WriteLine($"{name}: repaired {scopeText}: {total.KeysChecked} key(s) recomputed, {total.RowsWritten} row(s) written in {total.Batches} batch(es).{last}");
                }

                return ReadModelKitExitCodes.Ok;
            });
    }

    private static async Task<RepairResult> RepairAsync(NpgsqlReadModelStore store, string name, IReadOnlyList<DriftScope> scopes, IReadOnlyList<string>? after, IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        var total = new RepairResult(0, 0, 0, null);
        foreach (var scope in scopes)
        {
            var result = await store.Rebuilds.RepairAsync(name, scope, after, progress, cancellationToken).ConfigureAwait(false);
            total = new RepairResult(total.KeysChecked + result.KeysChecked, total.RowsWritten + result.RowsWritten, total.Batches + result.Batches, result.LastKey ?? total.LastKey);
        }

        return total;
    }
}
