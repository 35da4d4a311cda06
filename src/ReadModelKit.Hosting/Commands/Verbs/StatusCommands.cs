using System.CommandLine;
using System.Globalization;
using ReadModelKit.Hosting.Commands.Verbs.Rebuild;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Health;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs;

/// <summary><c>status [--projection NAME]</c>: per projection and partition, state, health, lag, pending and held-back events, owner, dead letters, open drift incidents and an active rebuild.</summary>
internal sealed class StatusCommands : IReadModelKitCommandGroup
{
    private const int CountCap = 10_000;

    public void AddTo(RootCommand root, ReadModelKitCommandContext context)
    {
        var projection = new Option<string>("--projection", "-p") { Description = "Only this projection (default: all)." };
        var status = new Command("status", "Show each projection and partition: state, health, lag, pending, held back, owner, dead letters, open drift incidents, an active rebuild. Exit code 4 when a projection is Unhealthy.") { projection };
        status.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<ProjectionRow>();
            foreach (var name in context.Projections(store, parse.GetValue(projection)))
            {
                rows.Add(await ReadAsync(store, name, cancellationToken).ConfigureAwait(false));
            }

            if (context.WantsJson(parse))
            {
                context.WriteJson(rows);
            }
            else
            {
                Render(context.Console, rows);
            }

            return rows.Any(r => r.Health == nameof(ProjectionHealth.Unhealthy)) ? ReadModelKitExitCodes.Unhealthy : ReadModelKitExitCodes.Ok;
        });
        root.Subcommands.Add(status);
    }

    private static async Task<ProjectionRow> ReadAsync(NpgsqlReadModelStore store, string name, CancellationToken cancellationToken)
    {
        var health = await store.Health.EvaluateAsync(name, cancellationToken).ConfigureAwait(false);
        var deadLetters = await store.DeadLetters.ListAsync(name, cancellationToken).ConfigureAwait(false);
        var incidents = await store.Drift.ListIncidentsAsync(name, openOnly: true, limit: CountCap, cancellationToken).ConfigureAwait(false);
        var run = await store.Rebuilds.GetRunAsync(name, cancellationToken).ConfigureAwait(false);
        var s = health.Status;
        return new ProjectionRow(
            name,
            s.State.ToString(),
            health.Health.ToString(),
            Math.Round(s.Lag.TotalSeconds, 1),
            s.PendingEvents,
            s.HeldBackEvents,
            deadLetters.Count(d => d.Status == "dead"),
            deadLetters.Count(d => d.Status == "parked"),
            incidents.Count,
            s.LiveNodes,
            health.Problems,
            run is { IsActive: true } ? RebuildRunView.From(run) : null,
            [.. s.Partitions.Select(p => new PartitionRow(p.Partition, p.State.ToString(), p.Position.Value, p.PendingEvents, p.HeldBackEvents, p.Owner, p.LeaseLive, p.ProjectedAt, p.LastError))]);
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<ProjectionRow> rows)
    {
        var table = new Table().AddColumns("projection", "partition", "state", "health", "lag (s)", "pending", "held back", "position", "owner", "dead", "parked", "drift incidents", "rebuild");
        foreach (var r in rows)
        {
            table.AddRow(
                Markup.Escape(r.Projection), "all", r.State, Colour(r.Health), Num(r.LagSeconds), Num(r.Pending), Num(r.HeldBack), string.Empty,
                r.LiveNodes.ToString(CultureInfo.InvariantCulture) + " node(s)", Num(r.DeadLetters), Num(r.Parked), r.OpenDriftIncidents >= CountCap ? $"{CountCap}+" : Num(r.OpenDriftIncidents), Markup.Escape(r.Rebuild?.Summary() ?? "-"));
            foreach (var p in r.Partitions)
            {
                table.AddRow(string.Empty, Num(p.Partition), p.State, string.Empty, string.Empty, Num(p.Pending), Num(p.HeldBack), Num(p.Position), Markup.Escape(p.Owner ?? "-") + (p.LeaseLive ? string.Empty : " (no live lease)"), string.Empty, string.Empty, string.Empty, string.Empty);
            }
        }

        console.Write(table);
        foreach (var r in rows.Where(r => r.Problems.Count > 0))
        {
            foreach (var problem in r.Problems)
            {
                console.MarkupLineInterpolated($"[yellow]{r.Projection}:[/] {problem}");
            }
        }

        foreach (var r in rows)
        {
            Hint(console, r, nameof(ProjectionState.Paused), "paused by an operator; type", "resume");
            Hint(console, r, nameof(ProjectionState.Faulted), "halted by an error; fix the cause, then type", "restart");
        }
    }

    /// <summary>The command that acts on the partitions in <paramref name="state"/>: the whole projection when all of them are, else each partition.</summary>
    private static void Hint(IAnsiConsole console, ProjectionRow row, string state, string why, string verb)
    {
        var partitions = row.Partitions.Where(p => p.State == state).Select(p => p.Partition).ToList();
        if (partitions.Count == 0)
        {
            return;
        }

        var commands = partitions.Count == row.Partitions.Count
            ? $"{verb} {row.Projection}"
            : string.Join(" / ", partitions.Select(p => string.Create(CultureInfo.InvariantCulture, $"{verb} {row.Projection} --partition {p}")));
        console.MarkupLineInterpolated($"[yellow]{row.Projection}:[/] {state} partition(s) {string.Join(", ", partitions)}, {why} {commands}");
    }

    private static string Colour(string health) => health switch
    {
        nameof(ProjectionHealth.Healthy) => "[green]Healthy[/]",
        nameof(ProjectionHealth.Degraded) => "[yellow]Degraded[/]",
        _ => "[red]" + health + "[/]",
    };

    private static string Num(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal sealed record ProjectionRow(
        string Projection,
        string State,
        string Health,
        double LagSeconds,
        long Pending,
        long HeldBack,
        int DeadLetters,
        int Parked,
        int OpenDriftIncidents,
        int LiveNodes,
        IReadOnlyList<string> Problems,
        RebuildRunView? Rebuild,
        IReadOnlyList<PartitionRow> Partitions);

    internal sealed record PartitionRow(int Partition, string State, long Position, long Pending, long HeldBack, string? Owner, bool LeaseLive, DateTimeOffset? ProjectedAt, string? LastError);
}
