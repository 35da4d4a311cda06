using System.CommandLine;
using System.Globalization;
using ReadModelKit.Npgsql.Apply;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs;

/// <summary><c>dlq list|replay|skip</c>: the open dead letters of a projection, replaying an ordering key, skipping one dead event.</summary>
internal sealed class DeadLetterCommands : IReadModelKitCommandGroup
{
    public void AddTo(RootCommand root, ReadModelKitCommandContext context)
    {
        var dlq = new Command("dlq", "Dead letters: list them, replay an ordering key, skip one dead event.");

        var listProjection = ProjectionOption(required: false);
        var list = new Command("list", "List the open dead letters (dead and parked) of every projection, or of one.") { listProjection };
        list.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<DeadLetterRow>();
            foreach (var name in context.Projections(store, parse.GetValue(listProjection)))
            {
                rows.AddRange((await store.DeadLetters.ListAsync(name, cancellationToken).ConfigureAwait(false))
                    .Select(d => new DeadLetterRow(name, d.Id, d.Envelope.EventId, d.Envelope.OrderingKey, d.Envelope.Version, d.Envelope.Type, d.Status, d.Attempts, d.Error, d.CreatedAt)));
            }

            if (context.WantsJson(parse))
            {
                context.WriteJson(rows);
                return ReadModelKitExitCodes.Ok;
            }

            var table = new Table().AddColumns("projection", "event id", "ordering key", "version", "type", "status", "attempts", "error");
            foreach (var r in rows)
            {
                table.AddRow(Markup.Escape(r.Projection), r.EventId.ToString(), Markup.Escape(r.OrderingKey), r.Version.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Type), r.Status, r.Attempts.ToString(CultureInfo.InvariantCulture), Markup.Escape(Shorten(r.Error)));
            }

            context.Console.Write(table);
            context.Console.MarkupLine(rows.Count == 0 ? "No open dead letters." : $"{rows.Count} open dead letter(s). Replay a key with [bold]dlq replay --projection NAME --key KEY[/], or give up on one event with [bold]dlq skip --projection NAME --event ID[/].");
            return ReadModelKitExitCodes.Ok;
        });

        var replayProjection = ProjectionOption(required: true);
        var key = new Option<string>("--key", "-k") { Description = "The ordering key whose dead letters to apply again, as shown by dlq list.", Required = true };
        var replay = new Command("replay", "Apply every open dead letter of one ordering key again, in version order, in one transaction.") { replayProjection, key };
        replay.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var name = context.Projections(store, parse.GetRequiredValue(replayProjection))[0];
            var result = await store.DeadLetters.ReplayAsync(name, parse.GetRequiredValue(key), cancellationToken).ConfigureAwait(false);
            return Report(context, parse, name, "replayed", result);
        });

        var skipProjection = ProjectionOption(required: true);
        var eventId = new Option<string>("--event", "-e") { Description = "The id (GUID) of the dead event to give up on, as shown by dlq list.", Required = true };
        var skip = new Command("skip", "Give up on one dead event (never applied), then apply the events parked behind it.") { skipProjection, eventId };
        skip.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetRequiredValue(eventId);
            if (!Guid.TryParse(text, out var id))
            {
                throw new CommandUsageException($"Bad event id '{text}': type the event's GUID as dlq list shows it, for example --event {Guid.Empty}.");
            }

            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var name = context.Projections(store, parse.GetRequiredValue(skipProjection))[0];
            var result = await store.DeadLetters.SkipAsync(name, id, cancellationToken).ConfigureAwait(false);
            return Report(context, parse, name, "skipped", result);
        });

        dlq.Subcommands.Add(list);
        dlq.Subcommands.Add(replay);
        dlq.Subcommands.Add(skip);
        root.Subcommands.Add(dlq);
    }

    /// <summary>The first line of an error, cut to fit a table cell (--json has it whole).</summary>
    private static string Shorten(string? error)
    {
        var line = (error ?? string.Empty).Split('\n')[0];
        return line.Length <= 80 ? line : line[..79] + "…";
    }

    private static Option<string> ProjectionOption(bool required) =>
        new("--projection", "-p") { Description = required ? "The projection." : "Only this projection (default: all).", Required = required };

    private static int Report(ReadModelKitCommandContext context, ParseResult parse, string projection, string what, ApplyResult result)
    {
        if (context.WantsJson(parse))
        {
            context.WriteJson(new { projection, action = what, result.Applied, result.RowsWritten, result.DeadLettered, result.Parked, result.Released });
        }
        else
        {
            context.Console.MarkupLineInterpolated($"{projection}: {what}; {result.Applied} event(s) applied, {result.RowsWritten} row(s) written, {result.DeadLettered} dead-lettered again, {result.Parked} still parked.");
            if (result.Released.Count > 0)
            {
                // Their payload could be restored from nowhere: the source must deliver them again.
                context.Console.MarkupLineInterpolated($"{result.Released.Count} parked event(s) released without being applied; re-deliver them from their source: {string.Join(", ", result.Released)}");
            }
        }

        return ReadModelKitExitCodes.Ok;
    }

    internal sealed record DeadLetterRow(string Projection, long Id, Guid EventId, string OrderingKey, long Version, string Type, string Status, int Attempts, string? Error, DateTimeOffset CreatedAt);
}
