using System.CommandLine;
using Npgsql;
using ReadModelKit.Exceptions;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands;

/// <summary>
/// The operations command line: a root command holding the verbs of every registered <see cref="IReadModelKitCommandGroup"/>,
/// parsed by System.CommandLine and rendered with Spectre.Console. Parse errors and <see cref="CommandUsageException"/> end with
/// <see cref="ReadModelKitExitCodes.BadArguments"/>; other failures with <see cref="ReadModelKitExitCodes.Failed"/>.
/// </summary>
public sealed class ReadModelKitCommandLine
{
    private readonly IServiceProvider _services;
    private readonly IReadOnlyList<IReadModelKitCommandGroup> _groups;

    /// <summary>Creates the command line; the container does this.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="groups">The registered verb groups.</param>
    public ReadModelKitCommandLine(IServiceProvider services, IEnumerable<IReadModelKitCommandGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(groups);
        _services = services;
        _groups = [.. groups];
    }

    /// <summary>The top-level verbs (for example <c>status</c>, <c>dlq</c>).</summary>
    public IReadOnlyList<string> Verbs => [.. Build(new ReadModelKitCommandContext(_services, AnsiConsole.Console)).Subcommands.Select(c => c.Name)];

    /// <summary>Parses <paramref name="args"/>, runs the command and returns its exit code (<see cref="ReadModelKitExitCodes"/>).</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="console">Where output goes.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public async Task<int> InvokeAsync(IReadOnlyList<string> args, IAnsiConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var context = new ReadModelKitCommandContext(_services, console);
        var root = Build(context);
        var parse = root.Parse(args);
        var json = parse.GetValue(context.Json);
        if (parse.Errors.Count > 0)
        {
            return context.Fail(json, ReadModelKitExitCodes.BadArguments, [.. parse.Errors.Select(e => e.Message), "Run with --help to see the commands and their options."]);
        }

        using var output = new StringWriter();
        try
        {
            var code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
            if (output.GetStringBuilder().Length > 0)
            {
                console.Profile.Out.Writer.Write(output.ToString());
            }

            return code;
        }
        catch (CommandUsageException ex)
        {
            return context.Fail(json, ReadModelKitExitCodes.BadArguments, [ex.Message]);
        }
        catch (Exception ex) when (ex is ReadModelKitException or NpgsqlException or TimeoutException)
        {
            return context.Fail(json, ReadModelKitExitCodes.Failed, [ex.Message]);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // Not an expected failure: say what it was, still as a failed command rather than a crash with a stack trace.
            return context.Fail(json, ReadModelKitExitCodes.Failed, [$"{ex.GetType().Name}: {ex.Message}"]);
        }
    }

    private RootCommand Build(ReadModelKitCommandContext context)
    {
        var root = new RootCommand("ReadModelKit operations: status, pause/resume/restart, dead letters, drift, pruning, rebuilds.");
        root.Options.Add(context.Json);
        foreach (var group in _groups)
        {
            group.AddTo(root, context);
        }

        return root;
    }
}
