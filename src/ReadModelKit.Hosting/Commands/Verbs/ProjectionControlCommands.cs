using System.CommandLine;
using System.Globalization;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Control;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs;

/// <summary>
/// <c>pause|resume|restart &lt;projection&gt; [--partition N]</c>: operator control of outbox-fed projections through
/// <see cref="ProjectionControl"/>, obeyed by every runner node without restarting a process.
/// </summary>
internal sealed class ProjectionControlCommands : IReadModelKitCommandGroup
{
    private delegate Task<IReadOnlyList<int>> ControlAction(ProjectionControl control, string projection, int? partition, CancellationToken cancellationToken);

    public void AddTo(RootCommand root, ReadModelKitCommandContext context)
    {
        root.Subcommands.Add(Verb(
            context,
            "pause",
            "paused",
            "Pause a projection (every partition) or one partition: its runners stop applying events and status shows it Paused until it is resumed.",
            (control, projection, partition, ct) => control.PauseAsync(projection, partition, ct)));
        root.Subcommands.Add(Verb(
            context,
            "resume",
            "resumed",
            "Resume a paused projection (every paused partition) or one paused partition: its runners catch up from the checkpoint.",
            (control, projection, partition, ct) => control.ResumeAsync(projection, partition, ct)));
        root.Subcommands.Add(Verb(
            context,
            "restart",
            "restarted",
            "Restart a Faulted partition (or every Faulted partition of the projection) once its cause is fixed: its runner retries from the checkpoint.",
            (control, projection, partition, ct) => control.RestartAsync(projection, partition, ct)));
    }

    private static Command Verb(ReadModelKitCommandContext context, string verb, string done, string description, ControlAction action)
    {
        var projection = new Argument<string>("projection") { Description = "The projection, as status lists it." };
        var partition = new Option<string>("--partition") { Description = "Only this partition, from 0 to the partition count minus 1 (default: the whole projection).", HelpName = "N" };
        var command = new Command(verb, description) { projection, partition };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var store = await context.StoreAsync(cancellationToken).ConfigureAwait(false);
            var name = context.Projections(store, parse.GetRequiredValue(projection), verb)[0];
            var number = await PartitionAsync(store, verb, name, parse.GetValue(partition), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<int> changed;
            try
            {
                changed = await action(store.Control, name, number, cancellationToken).ConfigureAwait(false);
            }
            catch (ProjectionControlException) when (verb != "pause")
            {
                // Names and partition were checked above: the projection is in no state to resume or restart. Say so in commands.
                throw new ProjectionControlException(await NothingToDoAsync(store, verb, name, number, cancellationToken).ConfigureAwait(false), name, number);
            }

            if (context.WantsJson(parse))
            {
                context.WriteJson(new { projection = name, action = done, partitions = changed });
            }
            else
            {
                var scope = number is { } p ? $" --partition {p.ToString(CultureInfo.InvariantCulture)}" : string.Empty;
                var next = verb switch
                {
                    "pause" => $"Runners stop applying within their control poll interval; type resume {name}{scope} to resume.",
                    "resume" => "Runners catch up from the checkpoint.",
                    _ => $"Runners retry from the checkpoint; if the same event fails again the partition faults again (status --projection {name} shows the error).",
                };
                context.Console.MarkupLineInterpolated($"{name}: partition(s) {List(changed)} {done}. {next}");
            }

            return ReadModelKitExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The typed partition, checked against the projection's partition count; null for the whole projection.</summary>
    private static async Task<int?> PartitionAsync(NpgsqlReadModelStore store, string verb, string projection, string? text, CancellationToken cancellationToken)
    {
        if (text is null)
        {
            return null;
        }

        var count = await store.Control.GetPartitionCountAsync(projection, cancellationToken).ConfigureAwait(false);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var partition) && partition < count)
        {
            return partition;
        }

        var range = count == 1 ? "only partition 0" : string.Create(CultureInfo.InvariantCulture, $"partitions 0 to {count - 1}");
        throw new CommandUsageException(
            $"Bad partition '{text}' for {verb}: projection '{projection}' has {range}. Type one of them, for example {verb} {projection} --partition 0, or leave --partition out for the whole projection.",
            projection);
    }

    /// <summary>Why resume or restart had nothing to do, with the command to type instead.</summary>
    private static async Task<string> NothingToDoAsync(NpgsqlReadModelStore store, string verb, string projection, int? partition, CancellationToken cancellationToken)
    {
        var option = partition is { } p ? string.Create(CultureInfo.InvariantCulture, $" --partition {p}") : string.Empty;
        var which = partition is { } q ? string.Create(CultureInfo.InvariantCulture, $"Partition {q} of projection '{projection}' is") : $"No partition of projection '{projection}' is";
        if (verb == "resume")
        {
            var not = partition is null ? string.Empty : " not";
            return $"{which}{not} paused, so there is nothing to resume. Type status --projection {projection} to see each partition's state, or pause {projection}{option} to pause it.";
        }

        var partitions = (await store.Freshness.GetStatusAsync(projection, cancellationToken).ConfigureAwait(false)).Partitions
            .Where(s => partition is null || s.Partition == partition)
            .ToList();
        var state = partition is null ? string.Empty : $" {partitions.FirstOrDefault()?.State.ToString() ?? "not started"}, not";
        var paused = partitions.Where(s => s.State == ProjectionState.Paused).Select(s => s.Partition).ToList();
        var instead = paused.Count > 0
            ? $"Paused partition(s) {List(paused)}: type resume {projection}{option} to resume."
            : $"Type status --projection {projection} to see each partition's state and last error.";
        return $"{which}{state} Faulted, so there is nothing to restart: restart is for a partition halted by an error. {instead}";
    }

    private static string List(IEnumerable<int> partitions) => string.Join(", ", partitions.Select(p => p.ToString(CultureInfo.InvariantCulture)));
}
