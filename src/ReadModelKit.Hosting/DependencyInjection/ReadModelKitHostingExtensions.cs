using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReadModelKit.Hosting;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Commands.Verbs;
using ReadModelKit.Hosting.Commands.Verbs.Rebuild;
using ReadModelKit.Hosting.Maintenance;
using ReadModelKit.Hosting.Runners;
using ReadModelKit.Hosting.Startup;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs ReadModelKit inside the application's generic host.</summary>
public static class ReadModelKitHostingExtensions
{
    /// <summary>
    /// Makes this host a ReadModelKit node: the store initializes while the host starts, before any hosted service starts (a failure
    /// stops start-up with the store's message); the runners of every outbox-fed projection (or those in
    /// <see cref="ReadModelKitHostingOptions.Projections"/>) run until the host stops and then release their partitions; maintenance
    /// runs on a schedule; the operations command line gets its verbs. Call after <c>UseNpgsql</c>. Options are validated when the host starts. Calling it again registers
    /// nothing twice; its <paramref name="configure"/> still applies.
    /// </summary>
    /// <param name="builder">The ReadModelKit builder.</param>
    /// <param name="configure">Option changes, applied after any configuration binding.</param>
    public static ReadModelKitBuilder AddHosting(this ReadModelKitBuilder builder, Action<ReadModelKitHostingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<ReadModelKitHostingOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(HostedRunners)))
        {
            return builder;
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReadModelKitHostingOptions>, HostingOptionsValidator>());
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, StoreInitializer>());
        services.TryAddSingleton<HostedRunners>();
        services.TryAddSingleton<ReadModelKitMaintenance>();
        services.AddHostedService<RunnerHostService>();
        services.AddHostedService<MaintenanceService>();
        services.TryAddSingleton<ReadModelKitCommandLine>();
        builder.AddCommandGroup<StatusCommands>()
            .AddCommandGroup<DeadLetterCommands>()
            .AddCommandGroup<DriftCommands>()
            .AddCommandGroup<PruneCommands>()
            .AddCommandGroup<ProjectionControlCommands>()
            .AddCommandGroup<RebuildCommands>();
        return builder;
    }

    /// <summary>
    /// Adds a group of verbs to the operations command line (<c>host.RunReadModelKitCommandsAsync(args)</c>). A capability adds its
    /// verbs here, in one place; registering the same group twice adds it once.
    /// </summary>
    /// <typeparam name="TGroup">The verb group.</typeparam>
    /// <param name="builder">The ReadModelKit builder.</param>
    public static ReadModelKitBuilder AddCommandGroup<TGroup>(this ReadModelKitBuilder builder)
        where TGroup : class, IReadModelKitCommandGroup
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IReadModelKitCommandGroup, TGroup>());
        return builder;
    }

    /// <summary>As <see cref="AddHosting(ReadModelKitBuilder, Action{ReadModelKitHostingOptions}?)"/>, with the options bound from <paramref name="configuration"/> (for example <c>builder.Configuration.GetSection("ReadModelKit:Hosting")</c>).</summary>
    /// <param name="builder">The ReadModelKit builder.</param>
    /// <param name="configuration">The configuration section holding <see cref="ReadModelKitHostingOptions"/>.</param>
    /// <param name="configure">Option changes, applied after the binding.</param>
    public static ReadModelKitBuilder AddHosting(this ReadModelKitBuilder builder, IConfiguration configuration, Action<ReadModelKitHostingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<ReadModelKitHostingOptions>().Bind(configuration);
        return builder.AddHosting(configure);
    }
}
