using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ReadModelKit.Hosting.Runners;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.DependencyInjection;

public sealed class AddHostingTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task The_store_initializes_before_any_hosted_service_starts_and_the_runners_project_events()
    {
        await TestNode.CreateTablesAsync(db, "h_first");
        var probe = new StartProbe();
        var builder = TestNode.Builder(db, [TestNode.Contract("h_first", "h-first")], before: services =>
        {
            // Registered before ReadModelKit: it still starts after the store has initialized.
            services.AddSingleton(probe);
            services.AddHostedService<StartProbeService>();
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            Assert.Equal("initialized", probe.SawStore);
            await TestNode.AppendAsync(host.Services, "h-first", "t1", 25, DateTimeOffset.UtcNow);
            await TestNode.RowsAsync(db, "h_first", 25);
            Assert.Equal(["h_first"], host.Services.GetRequiredService<HostedRunners>().ProjectionNames);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_mapping_that_does_not_match_its_table_stops_the_host_with_the_mapping_message()
    {
        await db.ExecuteAsync("CREATE TABLE h_broken_rm (tenant_id text NOT NULL, case_id integer NOT NULL, status text, version bigint NOT NULL, projected_at timestamptz NOT NULL, deleted_at timestamptz, PRIMARY KEY (tenant_id, case_id))");
        var builder = TestNode.Builder(db, [TestNode.Contract("h_broken", "h-broken")]);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<ReadModelMappingException>(() => host.StartAsync());

        Assert.Contains("title", error.Message, StringComparison.Ordinal);
        Assert.Contains("h_broken", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".lease WHERE projection_name = 'h_broken'"));
    }

    [Fact]
    public async Task Stopping_the_host_releases_every_lease_of_its_runners()
    {
        await TestNode.CreateTablesAsync(db, "h_lease");
        var builder = TestNode.Builder(db, [TestNode.Contract("h_lease", "h-lease")], new Dictionary<string, string?> { ["ReadModelKit:Hosting:Runner:PartitionCount"] = "3" });
        using var host = builder.Build();
        await host.StartAsync();
        var leases = $"\"{db.Schema}_rmk\".lease";
        await Eventually.TrueAsync(
            async () => await db.ScalarAsync<long>($"SELECT count(*) FROM {leases} WHERE projection_name = 'h_lease' AND owner IS NOT NULL AND expires_at > now()") == 3,
            TimeSpan.FromSeconds(30),
            "the node holds all 3 partitions (partition count bound from configuration)");

        await host.StopAsync();

        Assert.Equal(3, await db.ScalarAsync<long>($"SELECT count(*) FROM {leases} WHERE projection_name = 'h_lease'"));
        Assert.Equal(0, await db.ScalarAsync<long>($"SELECT count(*) FROM {leases} WHERE projection_name = 'h_lease' AND owner IS NOT NULL"));
    }

    [Fact]
    public async Task Naming_a_projection_that_is_not_registered_fails_start_up_with_what_to_run_instead()
    {
        await TestNode.CreateTablesAsync(db, "h_named");
        var builder = TestNode.Builder(db, [TestNode.Contract("h_named", "h-named")], new Dictionary<string, string?> { ["ReadModelKit:Hosting:Projections:0"] = "h_nope" });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("'h_nope' is not a registered projection", error.Message, StringComparison.Ordinal);
        Assert.Contains("Outbox-fed projections: h_named", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_runner_options_from_configuration_fail_start_up_listing_every_problem()
    {
        var builder = TestNode.Builder(db, [TestNode.Contract("h_invalid", "h-invalid")], new Dictionary<string, string?>
        {
            ["ReadModelKit:Hosting:Runner:PartitionCount"] = "0",
            ["ReadModelKit:Hosting:Maintenance:BatchSize"] = "0",
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Runner: PartitionCount", error.Message, StringComparison.Ordinal);
        Assert.Contains("Maintenance: BatchSize is 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runner_that_fails_stops_the_host()
    {
        await TestNode.CreateTablesAsync(db, "h_count");
        var contracts = new[] { TestNode.Contract("h_count", "h-count") };
        using (var three = TestNode.Builder(db, contracts, new Dictionary<string, string?> { ["ReadModelKit:Hosting:Runner:PartitionCount"] = "3" }).Build())
        {
            await three.StartAsync();
            await Eventually.TrueAsync(async () => await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".lease WHERE projection_name = 'h_count'") == 3, TimeSpan.FromSeconds(30), "the projection is partitioned in three");
            await three.StopAsync();
        }

        // Another partition count than the lease table's: the runner refuses to start, and the host stops instead of running without it.
        using var two = TestNode.Builder(db, contracts, new Dictionary<string, string?> { ["ReadModelKit:Hosting:Runner:PartitionCount"] = "2" }).Build();
        var stopping = new TaskCompletionSource();
        two.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(stopping.SetResult);
        await two.StartAsync();

        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await two.StopAsync();
    }

    [Fact]
    public void Calling_AddHosting_twice_registers_each_service_once_and_keeps_both_configurations()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddReadModelKit().UseNpgsql(db.DataSource).AddHosting(o => o.Runner.BatchSize = 7).AddHosting(o => o.Maintenance.BatchSize = 9);
        using var provider = services.BuildServiceProvider();

        Assert.Equal(3, services.Count(d => d.ServiceType == typeof(IHostedService)));
        Assert.IsType<ReadModelKit.Hosting.Startup.StoreInitializer>(provider.GetServices<IHostedService>().First());
        Assert.Equal(6, services.Count(d => d.ServiceType == typeof(ReadModelKit.Hosting.Commands.IReadModelKitCommandGroup)));
        var options = provider.GetRequiredService<IOptions<ReadModelKitHostingOptions>>().Value;
        Assert.Equal((7, 9), (options.Runner.BatchSize, options.Maintenance.BatchSize));
    }

    [Fact]
    public void UseNpgsql_without_a_data_source_says_how_to_register_one()
    {
        var services = new ServiceCollection();
        services.AddReadModelKit().UseNpgsql();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ReadModelKit.Exceptions.ReadModelKitException>(() => provider.GetRequiredService<ReadModelKitDataSource>());

        Assert.Contains("services.AddNpgsqlDataSource(connectionString)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseNpgsql_with_a_connection_string_builds_and_owns_its_data_source()
    {
        var services = new ServiceCollection();
        services.AddReadModelKit().UseNpgsql(db.ConnectionString);
        ReadModelKitDataSource source;
        await using (var provider = services.BuildServiceProvider())
        {
            source = provider.GetRequiredService<ReadModelKitDataSource>();
            await using var command = source.DataSource.CreateCommand("SELECT current_schema()");
            Assert.Equal(db.Schema, await command.ExecuteScalarAsync());
        }

        Assert.Throws<ObjectDisposedException>(() => source.DataSource.CreateConnection().Open());
    }

    public sealed class StartProbe
    {
        public string? SawStore { get; set; }
    }

    private sealed class StartProbeService(NpgsqlReadModelStore store, StartProbe probe) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                store.GetApplier("h_first");
                probe.SawStore = "initialized";
            }
            catch (InvalidOperationException ex)
            {
                probe.SawStore = ex.Message;
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
