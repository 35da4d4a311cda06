using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Hosting.Commands;
using Spectre.Console;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs the host, or one ReadModelKit operations command, from the program's arguments.</summary>
public static class ReadModelKitCommandLineHostExtensions
{
    /// <summary>
    /// When <paramref name="args"/> start with a ReadModelKit verb (<c>status</c>, <c>pause</c>, <c>resume</c>, <c>restart</c>, <c>dlq</c>, <c>drift</c>, <c>prune</c>, <c>rebuild</c>, or one a
    /// capability added) or <c>--help</c>, runs that command without starting the hosted services and returns its exit code;
    /// otherwise runs the host until it shuts down and returns 0. Use it as the last line of <c>Program.cs</c>:
    /// <c>return await host.RunReadModelKitCommandsAsync(args);</c>
    /// </summary>
    /// <param name="host">The built host.</param>
    /// <param name="args">The program's arguments.</param>
    /// <param name="cancellationToken">Cancels the command or stops the host.</param>
    public static Task<int> RunReadModelKitCommandsAsync(this IHost host, string[] args, CancellationToken cancellationToken = default)
    {
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            // Piped or captured output has no terminal width; keep table rows on one line for grep and logs.
            console.Profile.Width = Math.Max(console.Profile.Width, 200);
        }

        return host.RunReadModelKitCommandsAsync(args, console, cancellationToken);
    }

    /// <summary>As <see cref="RunReadModelKitCommandsAsync(IHost, string[], CancellationToken)"/>, writing to <paramref name="console"/>.</summary>
    /// <param name="host">The built host.</param>
    /// <param name="args">The program's arguments.</param>
    /// <param name="console">Where command output goes.</param>
    /// <param name="cancellationToken">Cancels the command or stops the host.</param>
    public static async Task<int> RunReadModelKitCommandsAsync(this IHost host, string[] args, IAnsiConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(args);
        var commands = host.Services.GetRequiredService<ReadModelKitCommandLine>();
        if (args.Length == 0 || !(commands.Verbs.Contains(args[0], StringComparer.Ordinal) || args[0] is "--help" or "-h" or "-?" or "help"))
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return ReadModelKitExitCodes.Ok;
        }

        return await commands.InvokeAsync(args[0] == "help" ? ["--help", .. args[1..]] : args, console, cancellationToken).ConfigureAwait(false);
    }
}
