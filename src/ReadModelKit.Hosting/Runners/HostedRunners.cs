using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReadModelKit.Contracts;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Projections;

namespace ReadModelKit.Hosting.Runners;

/// <summary>The projection runners this node hosts: every outbox-fed projection, or those named in <see cref="ReadModelKitHostingOptions.Projections"/>.</summary>
public sealed class HostedRunners
{
    private readonly NpgsqlReadModelStore _store;
    private readonly ReadModelKitHostingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory? _loggers;
    private IReadOnlyList<ProjectionRunner> _runners = [];

    /// <summary>Creates the set; the container does this.</summary>
    /// <param name="store">The store.</param>
    /// <param name="catalog">The registered projections.</param>
    /// <param name="options">The hosting options.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">Logger factory, or null for none.</param>
    public HostedRunners(NpgsqlReadModelStore store, ProjectionCatalog catalog, IOptions<ReadModelKitHostingOptions> options, TimeProvider time, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _time = time;
        _loggers = loggers;
        ProjectionNames = Select(catalog, _options);
    }

    /// <summary>The projections this node runs.</summary>
    public IReadOnlyList<string> ProjectionNames { get; }

    /// <summary>The runners, once the host has started them (empty before).</summary>
    public IReadOnlyList<ProjectionRunner> Runners => Volatile.Read(ref _runners);

    /// <summary>Creates the runners (the store must be initialized).</summary>
    internal IReadOnlyList<ProjectionRunner> Create()
    {
        var runners = ProjectionNames.Select(name => new ProjectionRunner(_store, name, _options.Runner, _time, _loggers)).ToList();
        Volatile.Write(ref _runners, runners);
        return runners;
    }

    /// <summary>The outbox-fed projections of <paramref name="catalog"/>, or the named ones (each must be registered and outbox-fed).</summary>
    internal static IReadOnlyList<string> Select(ProjectionCatalog catalog, ReadModelKitHostingOptions options)
    {
        if (!options.RunProjections)
        {
            return [];
        }

        var outboxFed = catalog.Contracts.Where(c => c.Source.Kind == SourceKind.Outbox).Select(c => c.Name).ToList();
        if (options.Projections.Count == 0)
        {
            return outboxFed;
        }

        var problems = options.Projections
            .Where(n => !outboxFed.Contains(n, StringComparer.Ordinal))
            .Select(n => catalog.Contracts.Any(c => c.Name == n)
                ? $"'{n}' does not read the outbox (hand its events to store.GetApplier(\"{n}\").ApplyAsync from your consumer)"
                : $"'{n}' is not a registered projection")
            .ToList();
        if (problems.Count > 0)
        {
            throw new ReadModelKitException($"ReadModelKit hosting cannot run the projections listed in Projections: {string.Join("; ", problems)}. Outbox-fed projections: {(outboxFed.Count == 0 ? "none" : string.Join(", ", outboxFed))}; leave Projections empty to run them all.");
        }

        return [.. options.Projections.Distinct(StringComparer.Ordinal)];
    }
}
