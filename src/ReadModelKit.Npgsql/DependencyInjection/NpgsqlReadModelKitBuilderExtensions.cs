using global::Npgsql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Maintenance;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires ReadModelKit to PostgreSQL.</summary>
public static class NpgsqlReadModelKitBuilderExtensions
{
    /// <summary>Uses <paramref name="dataSource"/> for ReadModelKit's tables and the read models. Options are validated now; calling it again replaces nothing that is already registered.</summary>
    /// <param name="builder">The ReadModelKit builder.</param>
    /// <param name="dataSource">The data source of the database holding the read models.</param>
    /// <param name="configure">Optional option changes.</param>
    /// <exception cref="ReadModelKitException">The options are invalid; the message lists every problem.</exception>
    public static ReadModelKitBuilder UseNpgsql(this ReadModelKitBuilder builder, NpgsqlDataSource dataSource, Action<NpgsqlReadModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return Register(builder, configure, services => services.AddSingleton(new ReadModelKitDataSource(dataSource)));
    }

    /// <summary>
    /// Uses the <see cref="NpgsqlDataSource"/> the application registered in the container (for example with
    /// <c>services.AddNpgsqlDataSource(connectionString)</c>). Options are validated now; calling it again replaces nothing.
    /// </summary>
    /// <param name="builder">The ReadModelKit builder.</param>
    /// <param name="configure">Optional option changes.</param>
    /// <exception cref="ReadModelKitException">The options are invalid; the message lists every problem.</exception>
    public static ReadModelKitBuilder UseNpgsql(this ReadModelKitBuilder builder, Action<NpgsqlReadModelOptions>? configure = null) =>
        Register(builder, configure, services => services.AddSingleton(sp => new ReadModelKitDataSource(
            sp.GetService<NpgsqlDataSource>() ?? throw new ReadModelKitException(
                "UseNpgsql() without a data source uses the NpgsqlDataSource registered in the container, but none is registered: "
                + "register one (services.AddNpgsqlDataSource(connectionString)), or pass a data source or a connection string to UseNpgsql."))));

    /// <summary>
    /// Builds a data source from <paramref name="connectionString"/> (logging through the container's logger factory) and uses it.
    /// The container owns and disposes it. Options are validated now; calling it again replaces nothing.
    /// </summary>
    /// <param name="builder">The ReadModelKit builder.</param>
    /// <param name="connectionString">The connection string of the database holding the read models.</param>
    /// <param name="configure">Optional option changes.</param>
    /// <exception cref="ReadModelKitException">The options are invalid; the message lists every problem.</exception>
    public static ReadModelKitBuilder UseNpgsql(this ReadModelKitBuilder builder, string connectionString, Action<NpgsqlReadModelOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return Register(builder, configure, services =>
        {
            services.AddSingleton(sp => new OwnedDataSource(new NpgsqlDataSourceBuilder(connectionString).UseLoggerFactory(sp.GetService<ILoggerFactory>()).Build()));
            services.AddSingleton(sp => new ReadModelKitDataSource(sp.GetRequiredService<OwnedDataSource>().DataSource));
        });
    }

    private static ReadModelKitBuilder Register(ReadModelKitBuilder builder, Action<NpgsqlReadModelOptions>? configure, Action<IServiceCollection> addDataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new NpgsqlReadModelOptions();
        configure?.Invoke(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ReadModelKitException($"ReadModelKit.Npgsql options are invalid ({errors.Count}):{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", errors)}");
        }

        if (builder.Services.Any(d => d.ServiceType == typeof(NpgsqlReadModelOptions)))
        {
            return builder;
        }

        builder.Services.AddSingleton(options);
        addDataSource(builder.Services);
        builder.Services.AddSingleton<NpgsqlReadModelStore>();
        builder.Services.TryAddSingleton(sp => new OutboxPruner(sp.GetRequiredService<NpgsqlReadModelStore>(), sp.GetServices<IOutboxRetentionHold>()));
        return builder;
    }

    /// <summary>A data source built from a connection string, disposed with the container.</summary>
    private sealed class OwnedDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
    {
        public NpgsqlDataSource DataSource { get; } = dataSource;

        public ValueTask DisposeAsync() => DataSource.DisposeAsync();
    }
}
