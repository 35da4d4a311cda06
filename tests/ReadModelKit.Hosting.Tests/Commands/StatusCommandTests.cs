using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using Spectre.Console.Testing;

namespace ReadModelKit.Hosting.Tests.Commands;

public sealed class StatusCommandTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Status_shows_each_projection_and_partition_and_exits_4_when_one_is_unhealthy()
    {
        await TestNode.CreateTablesAsync(db, "st_a", "st_b");
        using var host = TestNode.Builder(db, [TestNode.Contract("st_a", "st-a"), TestNode.Contract("st_b", "st-b")], new Dictionary<string, string?> { ["ReadModelKit:Hosting:Runner:PartitionCount"] = "2" }, library: "status").Build();
        await host.StartAsync();
        await TestNode.AppendAsync(host.Services, "st-a", "t1", 4, DateTimeOffset.UtcNow);
        await TestNode.RowsAsync(db, "st_a", 4);
        await host.StopAsync();

        var (code, output) = await Cli.RunAsync(host, "status");

        Assert.Equal(ReadModelKitExitCodes.Ok, code);
        Assert.Contains("st_a", output, StringComparison.Ordinal);
        Assert.Contains("st_b", output, StringComparison.Ordinal);
        Assert.Contains("Healthy", output, StringComparison.Ordinal);
        Assert.Contains("(no live lease)", output, StringComparison.Ordinal);

        var (jsonCode, json) = await Cli.RunAsync(host, "status", "--projection", "st_a", "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, jsonCode);
        var row = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal("st_a", row.GetProperty("projection").GetString());
        Assert.Equal("Healthy", row.GetProperty("health").GetString());
        Assert.Equal(0, row.GetProperty("pending").GetInt64());
        Assert.Equal(2, row.GetProperty("partitions").GetArrayLength());
        Assert.True(row.GetProperty("partitions").EnumerateArray().Max(p => p.GetProperty("position").GetInt64()) > 0);

        // Old events that no runner holds: Unhealthy, exit code 4, and the reason printed.
        await TestNode.AppendAsync(host.Services, "st-b", "t1", 3, DateTimeOffset.UtcNow.AddHours(-3));
        var (sick, sickOutput) = await Cli.RunAsync(host, "status");
        Assert.Equal(ReadModelKitExitCodes.Unhealthy, sick);
        Assert.Contains("Unhealthy", sickOutput, StringComparison.Ordinal);
        Assert.Contains("no runner holds it", sickOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_projection_or_option_exits_2_and_says_what_to_type()
    {
        await TestNode.CreateTablesAsync(db, "st_known");
        using var host = TestNode.Builder(db, [TestNode.Contract("st_known", "st-known")], library: "status_bad").Build();

        var (code, output) = await Cli.RunAsync(host, "status", "--projection", "st_nope");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, code);
        Assert.Contains("Unknown projection 'st_nope'. Registered projections: st_known. Type one of them after --projection, for example --projection st_known.", output.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);

        var (optionCode, optionOutput) = await Cli.RunAsync(host, "status", "--bogus");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, optionCode);
        Assert.Contains("--bogus", optionOutput, StringComparison.Ordinal);
        Assert.Contains("Run with --help to see the commands and their options.", optionOutput, StringComparison.Ordinal);

        var (jsonCode, json) = await Cli.RunAsync(host, "status", "--projection", "st_nope", "--json");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, jsonCode);
        var error = JsonDocument.Parse(json).RootElement;
        Assert.Equal(2, error.GetProperty("exitCode").GetInt32());
        Assert.StartsWith("Unknown projection 'st_nope'.", error.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_exits_1_with_the_reason()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddReadModelKit(kit => kit.AddProjection(new CaseListProjection(TestNode.Contract("st_down", "st-down"))))
            .UseNpgsql("Host=127.0.0.1;Port=1;Username=nobody;Timeout=2", o => o.Map("st_down", CaseListProjection.Mapping("st_down_rm")))
            .AddHosting();
        using var host = builder.Build();

        var (code, output) = await Cli.RunAsync(host, "status", "--json");

        Assert.Equal(ReadModelKitExitCodes.Failed, code);
        var error = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1, error.GetProperty("exitCode").GetInt32());
        Assert.Contains("127.0.0.1", error.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_verb_and_no_arguments_run_the_host_until_it_is_stopped()
    {
        await TestNode.CreateTablesAsync(db, "st_run");
        using var host = TestNode.Builder(db, [TestNode.Contract("st_run", "st-run")], library: "status_run").Build();

        var (code, output) = await Cli.RunAsync(host, "--help");
        Assert.Equal(ReadModelKitExitCodes.Ok, code);
        foreach (var verb in new[] { "status", "dlq", "drift", "prune", "rebuild" })
        {
            Assert.Contains(verb, output, StringComparison.Ordinal);
        }

        using var stop = new CancellationTokenSource();
        using var console = new TestConsole();
        var started = new TaskCompletionSource();
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(started.SetResult);
        var run = host.RunReadModelKitCommandsAsync([], console, stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await TestNode.AppendAsync(host.Services, "st-run", "t1", 2, DateTimeOffset.UtcNow);
        await TestNode.RowsAsync(db, "st_run", 2);
        await stop.CancelAsync();
        Assert.Equal(ReadModelKitExitCodes.Ok, await run.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
