using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Rebuild;

namespace ReadModelKit.Hosting.Commands.Verbs.Rebuild;

/// <summary>
/// <c>--throttle</c>, <c>--chunk-size</c> and <c>--keep-table</c>: the store's <see cref="RebuildOptions"/> changed for one command and
/// restored when it ends. A command runs in its own process (the hosted services are not started), so nothing else reads them meanwhile.
/// </summary>
internal sealed class RebuildSettingsOverride : IDisposable
{
    private readonly RebuildOptions _options;
    private readonly TimeSpan _throttle;
    private readonly int _chunkSize;
    private readonly bool _keepTables;

    private RebuildSettingsOverride(RebuildOptions options)
    {
        _options = options;
        _throttle = options.ThrottleDelay;
        _chunkSize = options.ChunkSize;
        _keepTables = options.KeepTables;
    }

    public static Option<string> Throttle() => new("--throttle") { Description = "Pause after every chunk so the source is not overloaded, for example 50ms or 2s (default: Rebuild.ThrottleDelay of the store options).", HelpName = "DURATION" };

    public static Option<int?> ChunkSize() => new("--chunk-size") { Description = "Rows (keys) per chunk, each chunk one short transaction (default: Rebuild.ChunkSize of the store options).", HelpName = "N" };

    public static Option<bool> KeepTable() => new("--keep-table") { Description = "Keep the table of the version that stops receiving writes instead of dropping it (default: Rebuild.KeepTables of the store options)." };

    /// <summary>The store's rebuild settings (the instance the store's rebuild orchestrator reads).</summary>
    public static RebuildOptions Current(ReadModelKitCommandContext context) => context.Services.GetRequiredService<NpgsqlReadModelOptions>().Rebuild;

    /// <summary>Applies what <paramref name="parse"/> gives for the options present (null ones are not on the command), checked first.</summary>
    public static RebuildSettingsOverride Apply(ReadModelKitCommandContext context, ParseResult parse, string projection, Option<string>? throttle = null, Option<int?>? chunkSize = null, Option<bool>? keepTable = null)
    {
        var options = Current(context);
        var delay = throttle is not null && parse.GetValue(throttle) is { } text ? DurationText.Parse(text, "--throttle", projection) : (TimeSpan?)null;
        if (delay >= options.LeaseDuration)
        {
            throw new CommandUsageException(
                string.Create(CultureInfo.InvariantCulture, $"--throttle {delay} is not below the run's lease duration ({options.LeaseDuration}, Rebuild.LeaseDuration): the lease would expire between chunks. Type a shorter pause, for example --throttle 100ms."),
                projection);
        }

        var size = chunkSize is null ? null : parse.GetValue(chunkSize);
        if (size < 1)
        {
            throw new CommandUsageException(string.Create(CultureInfo.InvariantCulture, $"--chunk-size {size}: type a number of rows of at least 1, for example --chunk-size 1000."), projection);
        }

        var scope = new RebuildSettingsOverride(options);
        options.ThrottleDelay = delay ?? options.ThrottleDelay;
        options.ChunkSize = size ?? options.ChunkSize;
        options.KeepTables = (keepTable is not null && parse.GetValue(keepTable)) || options.KeepTables;
        return scope;
    }

    public void Dispose()
    {
        _options.ThrottleDelay = _throttle;
        _options.ChunkSize = _chunkSize;
        _options.KeepTables = _keepTables;
    }
}
