using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReadModelKit.Hosting.Runners;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.DependencyInjection;

public sealed class ConfigurationBindingTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_node_configured_only_from_configuration_runs_its_projection()
    {
        await TestNode.CreateTablesAsync(db, "cfg_case");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReadModelKit:Npgsql:ConnectionString"] = db.ConnectionString,
            ["ReadModelKit:Npgsql:Schema"] = db.Schema + "_cfg",
            ["ReadModelKit:Npgsql:Apply:MaxHandlerAttempts"] = "1",
            ["ReadModelKit:Npgsql:Mappings:cfg_case:Table"] = "cfg_case_rm",
            ["ReadModelKit:Npgsql:Mappings:cfg_case:KeyColumns:0"] = "tenant_id",
            ["ReadModelKit:Npgsql:Mappings:cfg_case:KeyColumns:1"] = "case_id",
            ["ReadModelKit:Npgsql:Mappings:cfg_case:ValueColumns:0"] = "status",
            ["ReadModelKit:Npgsql:Mappings:cfg_case:ValueColumns:1"] = "title",
            ["ReadModelKit:Hosting:Runner:BatchSize"] = "3",
            ["ReadModelKit:Hosting:Runner:MinIdleDelay"] = "00:00:00.010",
            ["ReadModelKit:Hosting:Maintenance:Enabled"] = "false",
        });
        builder.Services.AddReadModelKit(kit => kit.AddProjection(new CaseListProjection(TestNode.Contract("cfg_case", "cfg-case"))))
            .UseNpgsql(builder.Configuration.GetSection("ReadModelKit:Npgsql"))
            .AddHosting(builder.Configuration.GetSection("ReadModelKit:Hosting"));
        using var host = builder.Build();

        await host.StartAsync();
        await TestNode.AppendAsync(host.Services, "cfg-case", "t1", 7, DateTimeOffset.UtcNow);
        await TestNode.RowsAsync(db, "cfg_case", 7);
        await host.StopAsync();

        var options = host.Services.GetRequiredService<NpgsqlReadModelOptions>();
        Assert.Equal((db.Schema + "_cfg", 1, "cfg_case_rm"), (options.Schema, options.Apply.MaxHandlerAttempts, options.Mappings["cfg_case"].Table));
        Assert.Equal(["tenant_id", "case_id"], options.Mappings["cfg_case"].KeyColumns);
        Assert.Equal(3, host.Services.GetRequiredService<IOptions<ReadModelKitHostingOptions>>().Value.Runner.BatchSize);
        Assert.Equal("cfg_case", Assert.Single(host.Services.GetRequiredService<HostedRunners>().Runners).ProjectionName);
    }

    [Fact]
    public void An_invalid_schema_in_configuration_fails_at_registration_with_the_rule()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Schema"] = "1bad" }).Build();

        var error = Assert.Throws<ReadModelKit.Exceptions.ReadModelKitException>(() => new ServiceCollection().AddReadModelKit().UseNpgsql(configuration));

        Assert.Contains("Schema '1bad' is not a valid identifier", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_nested_store_options_in_configuration_fail_at_registration_with_every_problem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rebuild:ChunkSize"] = "0",
            ["Rebuild:MaxDriftShare"] = "2",
            ["PiiDigestKey"] = "not base64",
        }).Build();

        var error = Assert.Throws<ReadModelKit.Exceptions.ReadModelKitException>(() => new ServiceCollection().AddReadModelKit().UseNpgsql(configuration));

        Assert.StartsWith("ReadModelKit.Npgsql options are invalid (3):", error.Message, StringComparison.Ordinal);
        Assert.Contains("Rebuild.ChunkSize is 0: it must be at least 1.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Rebuild.MaxDriftShare is 2: give a share between 0 and 1.", error.Message, StringComparison.Ordinal);
        Assert.Contains("PiiDigestKey is not base64", error.Message, StringComparison.Ordinal);
    }
}
