using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql;
using Spectre.Console;

namespace ReadModelKit.Hosting.Commands;

/// <summary>What a command's action needs: the services, the console, the global <c>--json</c> option, the initialized store, and checked arguments.</summary>
public sealed class ReadModelKitCommandContext
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private NpgsqlReadModelStore? _store;

    internal ReadModelKitCommandContext(IServiceProvider services, IAnsiConsole console)
    {
        Services = services;
        Console = console;
    }

    /// <summary>The application's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Where output goes.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>The global option asking for machine-readable output.</summary>
    public Option<bool> Json { get; } = new("--json") { Description = "Print machine-readable JSON instead of tables.", Recursive = true };

    /// <summary>The store, initialized on first use (migrated, mappings checked).</summary>
    /// <param name="cancellationToken">Cancels initialization.</param>
    public async Task<NpgsqlReadModelStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            var store = Services.GetRequiredService<NpgsqlReadModelStore>();
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            _store = store;
        }

        return _store;
    }

    /// <summary>The projection names: <paramref name="name"/> checked against the registered ones, or all of them when it is null.</summary>
    /// <param name="store">The initialized store.</param>
    /// <param name="name">The name given on the command line, or null.</param>
    /// <param name="option">The option that took it, for the message.</param>
    /// <exception cref="CommandUsageException">No projection has that name.</exception>
    public IReadOnlyList<string> Projections(NpgsqlReadModelStore store, string? name, string option = "--projection")
    {
        ArgumentNullException.ThrowIfNull(store);
        var all = Services.GetRequiredService<Projections.ProjectionCatalog>().Contracts.Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        if (name is null)
        {
            return all;
        }

        return all.Contains(name, StringComparer.Ordinal)
            ? [name]
            : throw new CommandUsageException($"Unknown projection '{name}'. Registered projections: {string.Join(", ", all)}. Type one of them after {option}, for example {option} {all.FirstOrDefault() ?? "<name>"}.", name);
    }

    /// <summary>Parses a row key typed as values separated by <c>/</c> (for example <c>t1/42</c>), converting each to its key column's type.</summary>
    /// <param name="store">The initialized store.</param>
    /// <param name="projection">The projection whose table's key it is.</param>
    /// <param name="text">The typed key.</param>
    /// <param name="option">The option that took it, for the message.</param>
    /// <param name="prefix">Whether fewer values than key columns are allowed (a key prefix such as a tenant).</param>
    /// <exception cref="CommandUsageException">The key does not fit the table's key columns.</exception>
    public static RowKey ParseKey(NpgsqlReadModelStore store, string projection, string text, string option, bool prefix = false) =>
        KeyText.Parse(store.GetApplier(projection).Table, text, option, prefix);

    /// <summary>Whether the invocation asked for JSON.</summary>
    /// <param name="parse">The parse result.</param>
    public bool WantsJson(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue(Json);
    }

    /// <summary>Writes <paramref name="value"/> as indented JSON (camelCase, for a terminal or a file: not HTML-escaped), unwrapped so it stays parseable.</summary>
    /// <param name="value">The value.</param>
    public void WriteJson(object value)
    {
        var writer = Console.Profile.Out.Writer;
        writer.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        writer.Flush();
    }

    /// <summary>Prints <paramref name="errors"/> (in red, or as <c>{"exitCode": …, "errors": […]}</c> with <c>--json</c>) and returns <paramref name="code"/>.</summary>
    /// <param name="parse">The parse result (for <c>--json</c>).</param>
    /// <param name="code">The exit code (<see cref="ReadModelKitExitCodes"/>).</param>
    /// <param name="errors">What went wrong and what to type instead, one entry per line.</param>
    public int Fail(ParseResult parse, int code, params string[] errors) => Fail(WantsJson(parse), code, errors);

    internal int Fail(bool json, int code, IReadOnlyList<string> errors)
    {
        if (json)
        {
            WriteJson(new { exitCode = code, errors });
        }
        else
        {
            foreach (var error in errors)
            {
                Console.MarkupLineInterpolated($"[red]error:[/] {error}");
            }
        }

        return code;
    }
}
