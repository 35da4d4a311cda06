using Microsoft.Extensions.DependencyInjection.Extensions;
using ReadModelKit.Contracts;
using ReadModelKit.Projections;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chains the registration of projections and stores after <see cref="ReadModelKitServiceCollectionExtensions.AddReadModelKit"/>.</summary>
public sealed class ReadModelKitBuilder
{
    internal ReadModelKitBuilder(IServiceCollection services, ProjectionCatalog catalog)
    {
        Services = services;
        Catalog = catalog;
    }

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The projections registered so far.</summary>
    public ProjectionCatalog Catalog { get; }

    /// <summary>Registers a projection contract (validated now: an invalid contract throws here, listing every problem).</summary>
    /// <param name="contract">The contract.</param>
    /// <exception cref="ReadModelKit.Exceptions.ProjectionContractException">The contract is invalid or its name is taken.</exception>
    public ReadModelKitBuilder AddProjection(ProjectionContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        Catalog.Add(contract);
        return this;
    }

    /// <summary>Registers a projection instance and its contract.</summary>
    /// <param name="projection">The projection.</param>
    /// <exception cref="ReadModelKit.Exceptions.ProjectionContractException">The contract is invalid or its name is taken.</exception>
    public ReadModelKitBuilder AddProjection(IProjection projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        if (Catalog.Add(projection.Contract))
        {
            Services.AddSingleton(projection);
        }

        return this;
    }

    /// <summary>Registers a projection type with a parameterless constructor and its contract.</summary>
    /// <typeparam name="TProjection">The projection type.</typeparam>
    public ReadModelKitBuilder AddProjection<TProjection>()
        where TProjection : class, IProjection, new()
    {
        var projection = new TProjection();
        if (Catalog.Add(projection.Contract))
        {
            Services.TryAddEnumerable(ServiceDescriptor.Singleton<IProjection, TProjection>(_ => projection));
        }

        return this;
    }
}
