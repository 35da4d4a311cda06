using Microsoft.Extensions.DependencyInjection.Extensions;
using ReadModelKit.Projections;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ReadModelKit in an application's service collection.</summary>
public static class ReadModelKitServiceCollectionExtensions
{
    /// <summary>
    /// Adds ReadModelKit's core services and returns the builder for projections and stores.
    /// Calling it again returns a builder over the same registrations and registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Optional registrations to run on the builder now.</param>
    public static ReadModelKitBuilder AddReadModelKit(this IServiceCollection services, Action<ReadModelKitBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var catalog = services
            .FirstOrDefault(d => d.ServiceType == typeof(ProjectionCatalog) && d.ImplementationInstance is ProjectionCatalog)
            ?.ImplementationInstance as ProjectionCatalog;
        if (catalog is null)
        {
            catalog = new ProjectionCatalog();
            services.AddSingleton(catalog);
        }

        services.TryAddSingleton(TimeProvider.System);
        var builder = new ReadModelKitBuilder(services, catalog);
        configure?.Invoke(builder);
        return builder;
    }
}
