using global::Npgsql;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql;

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
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
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
        builder.Services.AddSingleton(new ReadModelKitDataSource(dataSource));
        builder.Services.AddSingleton<NpgsqlReadModelStore>();
        return builder;
    }
}
