using Microsoft.Extensions.Hosting;
using Spectre.Console.Testing;

namespace ReadModelKit.Hosting.Tests.Infrastructure;

/// <summary>Runs operations commands through the real parser and renderer into a wide <see cref="TestConsole"/>.</summary>
public static class Cli
{
    public static Task<(int Code, string Output)> RunAsync(IHost host, params string[] args) => RunAsync(host, CancellationToken.None, args);

    /// <summary>As <see cref="RunAsync(IHost, string[])"/>, stopped by <paramref name="cancellationToken"/> as Ctrl+C would.</summary>
    public static async Task<(int Code, string Output)> RunAsync(IHost host, CancellationToken cancellationToken, params string[] args)
    {
        using var console = new TestConsole().Width(250);
        var code = await host.RunReadModelKitCommandsAsync(args, console, cancellationToken);
        return (code, console.Output);
    }

    /// <summary>As <see cref="RunAsync"/>, on a console that reports an interactive terminal (live progress displays render).</summary>
    public static async Task<(int Code, string Output)> RunInteractiveAsync(IHost host, params string[] args)
    {
        using var console = new TestConsole().Width(250).Interactive();
        var code = await host.RunReadModelKitCommandsAsync(args, console);
        return (code, console.Output);
    }
}
