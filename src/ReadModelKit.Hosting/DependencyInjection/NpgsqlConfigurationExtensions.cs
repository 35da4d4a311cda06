using Microsoft.Extensions.Configuration;
using ReadModelKit.Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires ReadModelKit to PostgreSQL from a configuration section.</summary>
public static class NpgsqlConfigurationExtensions
{
    /// <summary>
    /// Binds <see cref="NpgsqlReadModelOptions"/> (<c>Schema</c>, <c>Apply</c>, <c>Outbox</c>, <c>Mappings:{projection}:Table</c>,
    /// <c>KeyColumns</c>, <c>ValueColumns</c>, …) from <paramref name="configuration"/>, then applies <paramref name="configure"/>.
    /// The data source is built from the section's <c>ConnectionString</c> when it has one, otherwise it is the
    /// <c>NpgsqlDataSource</c> registered in the container. Options are validated now, every problem in one exception.
    /// </summary>
    /// <param name="builder">The ReadModelKit builder.</param>
    /// <param name="configuration">The section, for example <c>builder.Configuration.GetSection("ReadModelKit:Npgsql")</c>.</param>
    /// <param name="configure">Option changes applied after the binding.</param>
    /// <exception cref="ReadModelKit.Exceptions.ReadModelKitException">The options are invalid; the message lists every problem.</exception>
    public static ReadModelKitBuilder UseNpgsql(this ReadModelKitBuilder builder, IConfiguration configuration, Action<NpgsqlReadModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        void Bind(NpgsqlReadModelOptions options)
        {
            configuration.Bind(options);
            configure?.Invoke(options);
        }

        var connectionString = configuration["ConnectionString"];
        return string.IsNullOrWhiteSpace(connectionString) ? builder.UseNpgsql(Bind) : builder.UseNpgsql(connectionString, Bind);
    }
}
