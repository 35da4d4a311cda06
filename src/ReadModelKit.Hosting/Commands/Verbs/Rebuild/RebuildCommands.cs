using System.CommandLine;
using ReadModelKit.Npgsql;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary>
/// <c>rebuild adopt|start|run|status|cancel|cutover|rollback|retire|repair</c>: the operator's side of
/// <see cref="ReadModelKit.Npgsql.Rebuild.RebuildOrchestrator"/>. Refusals exit with <see cref="ReadModelKitExitCodes.Refused"/>, a failed
/// gate with <see cref="ReadModelKitExitCodes.GateFailed"/>.
/// </summary>
internal sealed class RebuildCommands : IReadModelKitCommandGroup
{
    /// <summary>What a rebuild subcommand does once its projection is checked.</summary>
    internal delegate Task<int> RebuildAction(NpgsqlReadModelStore store, string projection, ParseResult parse, CancellationToken cancellationToken);

    public void AddTo(RootCommand root, ReadModelKitCommandContext context)
    {
        var rebuild = new Command("rebuild", "Rebuild a projection into a new version while the serving one keeps serving, validate it, cut readers over inside PostgreSQL, roll back, retire the old version; repair keys in place.");
        rebuild.Subcommands.Add(RebuildLifecycleCommands.Adopt(context));
        rebuild.Subcommands.Add(RebuildRunCommands.Start(context));
        rebuild.Subcommands.Add(RebuildRunCommands.Run(context));
        rebuild.Subcommands.Add(RebuildStatusCommand.Create(context));
        rebuild.Subcommands.Add(RebuildLifecycleCommands.Cancel(context));
        rebuild.Subcommands.Add(RebuildLifecycleCommands.Cutover(context));
        rebuild.Subcommands.Add(RebuildLifecycleCommands.Rollback(context));
        rebuild.Subcommands.Add(RebuildLifecycleCommands.Retire(context));
        rebuild.Subcommands.Add(RebuildRepairCommand.Create(context));
        root.Subcommands.Add(rebuild);
    }

    /// <summary>The projection argument every rebuild subcommand takes.</summary>
    internal static Argument<string> ProjectionArgument() => new("projection") { Description = "The projection, as status lists it." };

    /// <summary>A subcommand whose action gets the initialized store and the checked projection name; rebuild refusals become exit codes.</summary>
    internal static Command Create(ReadModelKitCommandContext context, string verb, string description, Argument<string> projection, IEnumerable<Option> options, RebuildAction action)
    {
        var command = new Command(verb, description) { projection };
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var name = context.Projections(store, parse.GetRequiredValue(projection), "rebuild " + verb)[0];
            try
            {
                return await action(store, name, parse, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var refusal = await RebuildRefusals.ExplainAsync(store, name, ex, cancellationToken).ConfigureAwait(false);
                if (refusal is not { } r)
                {
                    throw;
                }

                return context.Fail(parse, r.Code, r.Lines);
            }
        });
        return command;
    }
}
