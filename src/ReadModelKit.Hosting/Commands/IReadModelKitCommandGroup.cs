using System.CommandLine;

namespace ReadModelKit.Hosting.Commands;

/// <summary>
/// One group of verbs of the operations command line (for example <c>dlq list|replay|skip</c>). A capability adds its verbs by
/// implementing this once and registering it with <c>AddCommandGroup&lt;T&gt;()</c> on the ReadModelKit builder.
/// </summary>
public interface IReadModelKitCommandGroup
{
    /// <summary>Adds this group's commands to <paramref name="root"/>; their actions use <paramref name="context"/> for the store, output and errors.</summary>
    /// <param name="root">The root command (it already has the global <c>--json</c> option).</param>
    /// <param name="context">The invocation's services, console and helpers.</param>
    void AddTo(RootCommand root, ReadModelKitCommandContext context);
}
