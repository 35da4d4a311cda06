using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Hosting.Maintenance;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs;

/// <summary><c>prune</c>: one maintenance pass now (inbox and tombstone retention, outbox pruning) with the configured limits.</summary>
internal sealed class PruneCommands : IReadModelKitCommandGroup
{
    public void AddTo(RootCommand root, ReadModelKitCommandContext context)
    {
        var prune = new Command("prune", "Delete what retention allows now: old inbox rows, old tombstones (when a retention is set), outbox events every reader has passed.");
        prune.SetAction(async (parse, cancellationToken) =>
        {
            await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var report = await context.Services.GetRequiredService<ReadModelKitMaintenance>().PruneAsync(cancellationToken).ConfigureAwait(false);
            if (context.WantsJson(parse))
            {
                context.WriteJson(new
                {
                    inbox = report.InboxRows,
                    tombstones = report.Tombstones,
                    outbox = report.Outbox.Select(o => new { o.Stream, prunableUpTo = o.PrunableUpTo.Value, o.HeldBy, o.Deleted, o.Batches }),
                });
                return ReadModelKitExitCodes.Ok;
            }

            var table = new Table().AddColumns("what", "deleted", "note");
            foreach (var (name, rows) in report.InboxRows)
            {
                table.AddRow($"inbox of {Markup.Escape(name)}", N(rows), string.Empty);
            }

            foreach (var (name, rows) in report.Tombstones)
            {
                table.AddRow($"tombstones of {Markup.Escape(name)}", N(rows), string.Empty);
            }

            foreach (var o in report.Outbox)
            {
                table.AddRow($"outbox stream {Markup.Escape(o.Stream)}", N(o.Deleted), Markup.Escape($"up to position {o.PrunableUpTo}, held by {o.HeldBy}"));
            }

            context.Console.Write(table);
            return ReadModelKitExitCodes.Ok;
        });
        root.Subcommands.Add(prune);
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
