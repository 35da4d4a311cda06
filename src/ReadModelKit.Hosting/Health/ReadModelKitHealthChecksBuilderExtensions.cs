using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReadModelKit.Exceptions;
using ReadModelKit.Hosting.Health;
using ReadModelKit.Npgsql;
using ReadModelKit.Projections;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds ReadModelKit's projection health to the host's health checks.</summary>
public static class ReadModelKitHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds one check over every projection (or those in <see cref="ReadModelKitHealthCheckOptions.Projections"/>), or one check per
    /// projection. A check is Degraded when lag is above the contract's expected lag, a partition is paused, or the watermark waits
    /// behind a transaction; Unhealthy (the registration's failure status) when lag exceeds the maximum, a partition is stalled or
    /// faulted, or pending events have no runner. Call after <c>AddReadModelKit</c> registered the projections.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Optional registration settings.</param>
    /// <exception cref="ReadModelKitException">ReadModelKit is not registered yet, or a named projection is not registered.</exception>
    public static IHealthChecksBuilder AddReadModelKit(this IHealthChecksBuilder builder, Action<ReadModelKitHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ReadModelKitHealthCheckOptions();
        configure?.Invoke(options);
        var catalog = builder.Services.FirstOrDefault(d => d.ServiceType == typeof(ProjectionCatalog))?.ImplementationInstance as ProjectionCatalog
            ?? throw new ReadModelKitException("AddHealthChecks().AddReadModelKit() needs the projections: call services.AddReadModelKit(...).UseNpgsql(...) before it.");
        var registered = catalog.Contracts.Select(c => c.Name).ToList();
        var unknown = options.Projections.Where(n => !registered.Contains(n, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new ReadModelKitException($"AddHealthChecks().AddReadModelKit() names projection(s) that are not registered: {string.Join(", ", unknown)}. Registered: {string.Join(", ", registered)}.");
        }

        IReadOnlyList<string> names = options.Projections.Count == 0 ? registered : [.. options.Projections];
        var groups = options.PerProjection ? names.Select(n => ($"{options.Name}:{n}", (IReadOnlyList<string>)[n])) : [(options.Name, names)];
        foreach (var (name, projections) in groups)
        {
            builder.Add(new HealthCheckRegistration(name, sp => new ReadModelKitHealthCheck(sp.GetRequiredService<NpgsqlReadModelStore>(), projections), HealthStatus.Unhealthy, options.Tags));
        }

        return builder;
    }
}
