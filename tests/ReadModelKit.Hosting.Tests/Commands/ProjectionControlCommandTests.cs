using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Contracts;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Projections;

namespace ReadModelKit.Hosting.Tests.Commands;

public sealed class ProjectionControlCommandTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    /// <summary>The lifecycle state each partition's runner last recorded in its checkpoint.</summary>
    private async Task<string> RecordedStatesAsync(string library, string projection)
    {
        var states = new List<string>();
        await using var command = db.DataSource.CreateCommand($"SELECT state FROM \"{db.Schema}_{library}\".checkpoint WHERE projection_name = '{projection}' AND track = '' ORDER BY partition_id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            states.Add(reader.GetString(0));
        }

        return string.Join(",", states);
    }

    private static IEnumerable<JsonElement> Partitions(string statusJson) =>
        Assert.Single(JsonDocument.Parse(statusJson).RootElement.EnumerateArray()).GetProperty("partitions").EnumerateArray();

    [Fact]
    public async Task Pause_shows_in_status_holds_new_events_back_and_resume_catches_up()
    {
        await TestNode.CreateTablesAsync(db, "pc_run");
        using var host = TestNode.Builder(db, [TestNode.Contract("pc_run", "pc-run")], new Dictionary<string, string?> { ["ReadModelKit:Hosting:Runner:PartitionCount"] = "2" }, library: "ctl_run").Build();
        await host.StartAsync();
        try
        {
            await TestNode.AppendAsync(host.Services, "pc-run", "t1", 2, DateTimeOffset.UtcNow);
            await TestNode.RowsAsync(db, "pc_run", 2);
            await Eventually.TrueAsync(async () => await RecordedStatesAsync("ctl_run", "pc_run") == "Live,Live", Converge, "both partitions are Live");

            var (oneCode, one) = await Cli.RunAsync(host, "pause", "pc_run", "--partition", "1");
            Assert.Equal(ReadModelKitExitCodes.Ok, oneCode);
            Assert.Equal("pc_run: partition(s) 1 paused. Runners stop applying within their control poll interval; type resume pc_run --partition 1 to resume.", one.ReplaceLineEndings(string.Empty));

            var (allCode, all) = await Cli.RunAsync(host, "pause", "pc_run", "--json");
            Assert.Equal(ReadModelKitExitCodes.Ok, allCode);
            var paused = JsonDocument.Parse(all).RootElement;
            Assert.Equal(("pc_run", "paused"), (paused.GetProperty("projection").GetString(), paused.GetProperty("action").GetString()));
            Assert.Equal([0, 1], paused.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()));

            // Once the runner has recorded the pause, events appended after it wait.
            await Eventually.TrueAsync(async () => await RecordedStatesAsync("ctl_run", "pc_run") == "Paused,Paused", Converge, "the runner recorded both partitions Paused");
            await TestNode.AppendAsync(host.Services, "pc-run", "t1", 3, DateTimeOffset.UtcNow, firstCase: 10);
            var (_, statusJson) = await Cli.RunAsync(host, "status", "--projection", "pc_run", "--json");
            Assert.All(Partitions(statusJson), p => Assert.Equal("Paused", p.GetProperty("state").GetString()));
            Assert.Equal(3, Partitions(statusJson).Sum(p => p.GetProperty("pending").GetInt64()));
            Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM pc_run_rm"));

            var (_, status) = await Cli.RunAsync(host, "status", "--projection", "pc_run");
            Assert.Contains("│ Paused │", status, StringComparison.Ordinal);
            Assert.Contains("pc_run: Paused partition(s) 0, 1, paused by an operator; type resume pc_run", status.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);

            var (resumeCode, resume) = await Cli.RunAsync(host, "resume", "pc_run");
            Assert.Equal(ReadModelKitExitCodes.Ok, resumeCode);
            Assert.Equal("pc_run: partition(s) 0, 1 resumed. Runners catch up from the checkpoint.", resume.ReplaceLineEndings(string.Empty));
            await TestNode.RowsAsync(db, "pc_run", 5);

            var (againCode, again) = await Cli.RunAsync(host, "resume", "pc_run");
            Assert.Equal(ReadModelKitExitCodes.Failed, againCode);
            Assert.Equal(
                "error: No partition of projection 'pc_run' is paused, so there is nothing to resume. Type status --projection pc_run to see each partition's state, or pause pc_run to pause it.",
                again.ReplaceLineEndings(string.Empty));

            var (jsonCode, json) = await Cli.RunAsync(host, "resume", "pc_run", "--partition", "0", "--json");
            Assert.Equal(ReadModelKitExitCodes.Failed, jsonCode);
            var error = JsonDocument.Parse(json).RootElement;
            Assert.Equal(1, error.GetProperty("exitCode").GetInt32());
            Assert.Equal(
                "Partition 0 of projection 'pc_run' is not paused, so there is nothing to resume. Type status --projection pc_run to see each partition's state, or pause pc_run --partition 0 to pause it.",
                error.GetProperty("errors")[0].GetString());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Restart_retries_a_faulted_partition_once_its_cause_is_fixed()
    {
        await TestNode.CreateTablesAsync(db, "pc_halt");
        var contract = TestNode.Contract("pc_halt", "pc-halt") with { FailurePolicy = FailurePolicy.Halt };
        using var host = TestNode.Builder(db, [contract], library: "ctl_halt", store: o => o.Apply = new ApplierOptions { MaxTransientRetries = 0, MaxHandlerAttempts = 1 }).Build();
        var projection = (CaseListProjection)host.Services.GetServices<IProjection>().Single();
        projection.FailuresLeft = int.MaxValue;
        await host.StartAsync();
        try
        {
            var store = host.Services.GetRequiredService<NpgsqlReadModelStore>();
            var flaky = CaseListProjection.Envelope("Flaky", "t1", 7, 1, 0, null, new { tenant = "t1", @case = 7, status = "fixed" });
            await using (var connection = await db.DataSource.OpenConnectionAsync())
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await store.Outbox.AppendAsync(connection, transaction, "pc-halt", [flaky]);
                await transaction.CommitAsync();
            }

            await Eventually.TrueAsync(async () => await RecordedStatesAsync("ctl_halt", "pc_halt") == "Faulted", Converge, "the partition of the failing event is Faulted");
            var (statusCode, status) = await Cli.RunAsync(host, "status");
            Assert.Equal(ReadModelKitExitCodes.Unhealthy, statusCode);
            Assert.Contains("pc_halt: Faulted partition(s) 0, halted by an error; fix the cause, then type restart pc_halt", status.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);

            projection.FailuresLeft = 0;
            var (code, output) = await Cli.RunAsync(host, "restart", "pc_halt", "--json");
            Assert.Equal(ReadModelKitExitCodes.Ok, code);
            var restarted = JsonDocument.Parse(output).RootElement;
            Assert.Equal("restarted", restarted.GetProperty("action").GetString());
            Assert.Equal([0], restarted.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()));
            await TestNode.RowsAsync(db, "pc_halt", 1);
            Assert.Equal("fixed", await db.ScalarAsync<string>("SELECT status FROM pc_halt_rm WHERE tenant_id = 't1' AND case_id = 7"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Bad_arguments_exit_2_and_requests_with_nothing_to_do_exit_1_saying_what_to_type()
    {
        await TestNode.CreateTablesAsync(db, "pc_bad");
        using var host = TestNode.Builder(db, [TestNode.Contract("pc_bad", "pc-bad")], library: "ctl_bad").Build();

        var (unknownCode, unknown) = await Cli.RunAsync(host, "pause", "pc_nope");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, unknownCode);
        Assert.Equal("error: Unknown projection 'pc_nope'. Registered projections: pc_bad. Type one of them after pause, for example pause pc_bad.", unknown.ReplaceLineEndings(string.Empty));

        foreach (var bad in new[] { "1", "-1", "x", "+0" })
        {
            var (code, output) = await Cli.RunAsync(host, "pause", "pc_bad", "--partition", bad, "--json");
            Assert.Equal(ReadModelKitExitCodes.BadArguments, code);
            Assert.Equal(
                $"Bad partition '{bad}' for pause: projection 'pc_bad' has only partition 0. Type one of them, for example pause pc_bad --partition 0, or leave --partition out for the whole projection.",
                JsonDocument.Parse(output).RootElement.GetProperty("errors")[0].GetString());
        }

        var (missingCode, missing) = await Cli.RunAsync(host, "restart");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, missingCode);
        Assert.Contains("Run with --help to see the commands and their options.", missing, StringComparison.Ordinal);
        Assert.Equal(0, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_ctl_bad\".partition_control"));

        var (nothingCode, nothing) = await Cli.RunAsync(host, "restart", "pc_bad");
        Assert.Equal(ReadModelKitExitCodes.Failed, nothingCode);
        Assert.Equal(
            "error: No partition of projection 'pc_bad' is Faulted, so there is nothing to restart: restart is for a partition halted by an error. Type status --projection pc_bad to see each partition's state and last error.",
            nothing.ReplaceLineEndings(string.Empty));

        Assert.Equal(ReadModelKitExitCodes.Ok, (await Cli.RunAsync(host, "pause", "pc_bad", "--partition", "0")).Code);
        var (pausedCode, paused) = await Cli.RunAsync(host, "restart", "pc_bad", "--partition", "0");
        Assert.Equal(ReadModelKitExitCodes.Failed, pausedCode);
        Assert.Equal(
            "error: Partition 0 of projection 'pc_bad' is Paused, not Faulted, so there is nothing to restart: restart is for a partition halted by an error. Paused partition(s) 0: type resume pc_bad --partition 0 to resume.",
            paused.ReplaceLineEndings(string.Empty));

        var (helpCode, help) = await Cli.RunAsync(host, "--help");
        Assert.Equal(ReadModelKitExitCodes.Ok, helpCode);
        foreach (var verb in new[] { "pause", "resume", "restart" })
        {
            Assert.Contains(verb, help, StringComparison.Ordinal);
        }
    }
}
