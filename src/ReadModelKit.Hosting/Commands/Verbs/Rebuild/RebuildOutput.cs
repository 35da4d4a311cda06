using System.CommandLine;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Rebuild;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary>The result of a rebuild subcommand: its text, or with <c>--json</c> <c>{projection, action, versions, run}</c>.</summary>
internal static class RebuildOutput
{
    public static async Task WriteAsync(ReadModelKitCommandContext context, ParseResult parse, NpgsqlReadModelStore store, string projection, string action, RebuildRun? run, string text, CancellationToken cancellationToken)
    {
        if (!context.WantsJson(parse))
        {
            context.Console.WriteLine(text);
            return;
        }

        var versions = await store.Rebuilds.GetVersionsAsync(projection, cancellationToken).ConfigureAwait(false);
        context.WriteJson(new { projection, action, versions = RebuildVersionsView.From(versions), run = RebuildRunView.From(run) });
    }

    /// <summary>The physical table of <paramref name="version"/> of <paramref name="projection"/>, schema-qualified.</summary>
    public static string Table(NpgsqlReadModelStore store, string projection, int version)
    {
        var table = store.GetApplier(projection).Table;
        return $"{table.Schema}.{ProjectionVersions.PhysicalName(table.Mapping.Table, version)}";
    }

    /// <summary>The stable name readers query, schema-qualified.</summary>
    public static string View(NpgsqlReadModelStore store, string projection)
    {
        var table = store.GetApplier(projection).Table;
        return $"{table.Schema}.{table.Mapping.Table}";
    }
}
