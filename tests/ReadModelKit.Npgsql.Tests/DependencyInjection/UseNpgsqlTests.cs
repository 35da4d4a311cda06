using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.DependencyInjection;

public sealed class UseNpgsqlTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Registers_the_data_source_once_and_it_reaches_the_server()
    {
        var services = new ServiceCollection();
        services.AddReadModelKit().UseNpgsql(db.DataSource, o => o.Schema = "rmk");
        services.AddReadModelKit().UseNpgsql(db.DataSource, o => o.Schema = "other");

        Assert.Single(services, d => d.ServiceType == typeof(NpgsqlReadModelOptions));
        await using var provider = services.BuildServiceProvider();
        Assert.Equal("rmk", provider.GetRequiredService<NpgsqlReadModelOptions>().Schema);
        await using var command = provider.GetRequiredService<ReadModelKitDataSource>().DataSource.CreateCommand("SELECT 41 + 1");
        Assert.Equal(42, await command.ExecuteScalarAsync());
    }

    [Fact]
    public void An_invalid_schema_name_is_rejected_with_what_to_do()
    {
        var services = new ServiceCollection();

        var exception = Assert.Throws<ReadModelKitException>(() => services.AddReadModelKit().UseNpgsql(db.DataSource, o => o.Schema = "rmk; DROP TABLE x"));

        Assert.Contains("Schema 'rmk; DROP TABLE x' is not a valid identifier: use 1-63 ASCII letters, digits or underscores", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(NpgsqlReadModelOptions));
    }
}
