using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Commands;

/// <summary>The rebuild verbs end to end on a running node: adopt, start, status, cutover, rollback, retire, and each refusal's exit code.</summary>
public sealed class RebuildCommandTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task A_projection_is_adopted_rebuilt_cut_over_rolled_back_cut_over_again_and_retired_from_the_command_line_while_commands_flow()
    {
        var p = await RebuildableProjection.CreateAsync(db, "rbc_flow");
        using var host = await p.RunningAsync(cases: 30);

        var (adoptCode, adopt) = await Cli.RunAsync(host, "rebuild", "adopt", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Ok, adoptCode);
        Assert.Contains("rbc_flow: adopted: the table is now", adopt, StringComparison.Ordinal);
        Assert.Equal("rbc_flow_rm_v1", await p.ServedTableAsync());
        Assert.Contains("already served by view", (await Cli.RunAsync(host, "rebuild", "adopt", p.Name)).Output, StringComparison.Ordinal);

        var (planCode, plan) = await Cli.RunAsync(host, "rebuild", "start", p.Name, "--plan-only");
        Assert.Equal(ReadModelKitExitCodes.Ok, planCode);
        Assert.Contains("rbc_flow: planned run 1: v1 -> v2 (about ", plan, StringComparison.Ordinal);
        Assert.Contains("v2 receives live writes from now on. Backfill it with rebuild run rbc_flow.", plan, StringComparison.Ordinal);

        // status shows the active rebuild (text and JSON); a live command reaches the new version before any backfill.
        var (_, status) = await Cli.RunAsync(host, "status", "--projection", p.Name);
        Assert.Contains("run 1 v1 -> v2 Planned, 0 of ~", status, StringComparison.Ordinal);
        var statusRow = JsonDocument.Parse((await Cli.RunAsync(host, "status", "--projection", p.Name, "--json")).Output).RootElement[0];
        var statusJson = statusRow.GetProperty("rebuild");
        Assert.Equal(("Planned", 2), (statusJson.GetProperty("state").GetString(), statusJson.GetProperty("toVersion").GetInt32()));
        Assert.Equal("Rebuilding", statusRow.GetProperty("state").GetString());
        await p.CommandAsync(host, "t1", [5], 2, "closed");
        await Eventually.TrueAsync(async () => (await p.LiveRowsAsync("rbc_flow_rm_v2")) == "t1/5:closed@2", TimeSpan.FromSeconds(30), "the live command reached v2");

        var (runCode, run) = await Cli.RunAsync(host, "rebuild", "run", p.Name, "--chunk-size", "7");
        Assert.Equal(ReadModelKitExitCodes.Ok, runCode);
        Assert.Contains("row(s)/s", run, StringComparison.Ordinal);
        Assert.Contains("v1 -> v2 Ready; 30 row(s) backfilled.", run, StringComparison.Ordinal);
        Assert.Contains("Gate PASSED: drift missing 0, extra 0, changed 0 of 30 row(s); rows old 30, new 30", run, StringComparison.Ordinal);
        Assert.Contains("Next: rebuild cutover rbc_flow", run, StringComparison.Ordinal);
        Assert.Equal(await p.SourceRowsAsync(), await p.LiveRowsAsync("rbc_flow_rm_v2"));

        var (cutCode, cut) = await Cli.RunAsync(host, "rebuild", "cutover", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Ok, cutCode);
        Assert.Contains("Gate PASSED", cut, StringComparison.Ordinal);
        Assert.Contains("rbc_flow: readers now query v2", cut, StringComparison.Ordinal);
        Assert.Matches(@"v1 keeps receiving writes until the grace period ends at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: rebuild rollback rbc_flow goes back at once", cut);
        Assert.Equal("rbc_flow_rm_v2", await p.ServedTableAsync());

        // After the cutover both versions are fed: a command reaches v1 too, so the rollback serves current rows at once.
        await p.CommandAsync(host, "t1", [6], 2, "closed");
        await Eventually.TrueAsync(async () => (await p.LiveRowsAsync("rbc_flow_rm_v1")).Contains("t1/6:closed@2", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the live command reached v1");
        var (backCode, back) = await Cli.RunAsync(host, "rebuild", "rollback", p.Name, "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, backCode);
        var rolledBack = JsonDocument.Parse(back).RootElement;
        Assert.Equal(("rolled-back", "RolledBack", 1), (rolledBack.GetProperty("action").GetString(), rolledBack.GetProperty("run").GetProperty("state").GetString(), rolledBack.GetProperty("versions").GetProperty("serving").GetInt32()));
        Assert.Equal("rbc_flow_rm_v1", await p.ServedTableAsync());
        Assert.False(await p.ExistsAsync("rbc_flow_rm_v2"));
        await p.MatchesSourceAsync(p.View);

        var (againCode, again) = await Cli.RunAsync(host, "rebuild", "rollback", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, againCode);
        Assert.Contains("is already rolled back: the view serves v1.", again, StringComparison.Ordinal);

        var (startCode, start) = await Cli.RunAsync(host, "rebuild", "start", p.Name, "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, startCode);
        var started = JsonDocument.Parse(start).RootElement;
        Assert.Equal(("started", "Ready", 3, true), (started.GetProperty("action").GetString(), started.GetProperty("run").GetProperty("state").GetString(), started.GetProperty("run").GetProperty("toVersion").GetInt32(), started.GetProperty("run").GetProperty("gatePassed").GetBoolean()));
        Assert.Equal([1, 3], started.GetProperty("versions").GetProperty("fed").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(ReadModelKitExitCodes.Ok, (await Cli.RunAsync(host, "rebuild", "cutover", p.Name)).Code);

        var (earlyCode, early) = await Cli.RunAsync(host, "rebuild", "retire", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, earlyCode);
        Assert.Contains("Retire of projection 'rbc_flow' refused: the grace period after the cutover ends at", early, StringComparison.Ordinal);
        Assert.Contains("add --force to retire now (rebuild retire rbc_flow --force)", early, StringComparison.Ordinal);

        var (retireCode, retire) = await Cli.RunAsync(host, "rebuild", "retire", p.Name, "--force", "--keep-table");
        Assert.Equal(ReadModelKitExitCodes.Ok, retireCode);
        Assert.Contains("rbc_flow: v1 retired: it no longer receives writes and its table", retire, StringComparison.Ordinal);
        Assert.Contains("was kept. v3 serves alone", retire, StringComparison.Ordinal);
        Assert.True(await p.ExistsAsync("rbc_flow_rm_v1"));

        var (lateCode, late) = await Cli.RunAsync(host, "rebuild", "rollback", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, lateCode);
        Assert.Contains("Rollback of projection 'rbc_flow' refused: v1 was retired at", late, StringComparison.Ordinal);
        Assert.Contains("rebuild start rbc_flow builds a new version", late, StringComparison.Ordinal);

        var rebuildStatus = JsonDocument.Parse((await Cli.RunAsync(host, "rebuild", "status", p.Name, "--json")).Output).RootElement[0];
        Assert.Equal(3, rebuildStatus.GetProperty("versions").GetProperty("serving").GetInt32());
        Assert.Equal([3], rebuildStatus.GetProperty("versions").GetProperty("fed").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal("Retired", rebuildStatus.GetProperty("run").GetProperty("state").GetString());
        var retiredRow = JsonDocument.Parse((await Cli.RunAsync(host, "status", "--projection", p.Name, "--json")).Output).RootElement[0];
        Assert.Equal(JsonValueKind.Null, retiredRow.GetProperty("rebuild").ValueKind);
        Assert.NotEqual("Rebuilding", retiredRow.GetProperty("state").GetString());
        await p.CommandAsync(host, "t1", [7], 2, "closed");
        await p.MatchesSourceAsync(p.View);
        Assert.Equal("rbc_flow_rm_v3", await p.ServedTableAsync());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_backfill_stopped_by_the_operator_exits_1_and_rebuild_run_resumes_it_after_its_last_chunk()
    {
        var p = await RebuildableProjection.CreateAsync(db, "rbc_resume");
        using var host = await p.RunningAsync(cases: 20);
        var store = host.Services.GetRequiredService<NpgsqlReadModelStore>();

        using var stop = new CancellationTokenSource();
        // One row per chunk and half a second between chunks: the backfill takes at least 10 s, so it is stopped midway even on a busy machine.
        var command = Cli.RunAsync(host, stop.Token, "rebuild", "start", p.Name, "--chunk-size", "1", "--throttle", "500ms");
        await Eventually.TrueAsync(async () => (await store.Rebuilds.GetRunAsync(p.Name))?.RowsDone >= 1, TimeSpan.FromSeconds(30), "the first chunk is committed");
        await stop.CancelAsync();
        var (code, output) = await command;

        Assert.Equal(ReadModelKitExitCodes.Failed, code);
        Assert.Contains("rbc_resume: stopped; the chunk in progress was rolled back and the run stays resumable after its last chunk. Type rebuild run rbc_resume to resume it", output.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);
        var stopped = (await store.Rebuilds.GetRunAsync(p.Name))!;
        Assert.Equal((RebuildRunState.Backfilling, null), (stopped.State, stopped.Owner));
        Assert.InRange(stopped.RowsDone, 1, 19);
        Assert.Equal(TimeSpan.Zero, host.Services.GetRequiredService<NpgsqlReadModelOptions>().Rebuild.ThrottleDelay);

        var (runCode, run) = await Cli.RunAsync(host, "rebuild", "run", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Ok, runCode);
        Assert.Contains("v1 -> v2 Ready; 20 row(s) backfilled.", run, StringComparison.Ordinal);
        Assert.Equal(await p.SourceRowsAsync(), await p.LiveRowsAsync("rbc_resume_rm_v2"));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_failing_gate_exits_5_on_run_and_cutover_with_the_report_and_passes_once_fixed()
    {
        var p = await RebuildableProjection.CreateAsync(db, "rbc_gate");
        using var host = await p.RunningAsync(cases: 5);
        Assert.Equal(ReadModelKitExitCodes.Ok, (await Cli.RunAsync(host, "rebuild", "start", p.Name, "--plan-only")).Code);
        // A row written around the library into the new version: the backfill never touches it, the gate's drift check finds it.
        await db.ExecuteAsync("INSERT INTO rbc_gate_rm_v2 (tenant_id, case_id, status, version, projected_at) VALUES ('t9', 1, 'ghost', 1, now())");

        var (runCode, run) = await Cli.RunAsync(host, "rebuild", "run", p.Name);
        Assert.Equal(ReadModelKitExitCodes.GateFailed, runCode);
        Assert.Contains("Gate FAILED: drift missing 0, extra 1, changed 0", run, StringComparison.Ordinal);
        Assert.Contains("Cutover is refused until the gate passes", run, StringComparison.Ordinal);

        var (cutCode, cut) = await Cli.RunAsync(host, "rebuild", "cutover", p.Name, "--json");
        Assert.Equal(ReadModelKitExitCodes.GateFailed, cutCode);
        var errors = JsonDocument.Parse(cut).RootElement;
        Assert.Equal(5, errors.GetProperty("exitCode").GetInt32());
        Assert.StartsWith("Cutover of projection 'rbc_gate' refused: the gate of rebuild run", errors.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("extra 1", errors.GetProperty("errors")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("On the command line: fix the cause, then rebuild run rbc_gate validates again; or rebuild cancel rbc_gate.", errors.GetProperty("errors")[1].GetString());
        Assert.Equal("rbc_gate_rm_v1", await p.ServedTableAsync());

        var (_, status) = await Cli.RunAsync(host, "rebuild", "status", p.Name);
        Assert.Contains("failed", status, StringComparison.Ordinal);
        Assert.Contains("the gate failed: fix the cause, then rebuild run rbc_gate validates again", status, StringComparison.Ordinal);

        await db.ExecuteAsync("DELETE FROM rbc_gate_rm_v2 WHERE tenant_id = 't9'");
        var (fixedCode, fixedRun) = await Cli.RunAsync(host, "rebuild", "run", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Ok, fixedCode);
        Assert.Contains("Gate PASSED", fixedRun, StringComparison.Ordinal);

        var (cancelCode, cancel) = await Cli.RunAsync(host, "rebuild", "cancel", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Ok, cancelCode);
        Assert.Contains("v2 no longer receives writes and its table", cancel, StringComparison.Ordinal);
        Assert.Contains("was dropped. v1 keeps serving.", cancel, StringComparison.Ordinal);
        Assert.False(await p.ExistsAsync("rbc_gate_rm_v2"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Requests_that_do_not_fit_the_rebuild_state_exit_6_with_the_library_message_and_the_command_to_type()
    {
        var p = await RebuildableProjection.CreateAsync(db, "rbc_refuse");
        using var host = p.Host();

        var (cutCode, cut) = await Cli.RunAsync(host, "rebuild", "cutover", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, cutCode);
        Assert.Contains("Projection 'rbc_refuse' has no rebuild to cutover: start one with StartAsync.", cut, StringComparison.Ordinal);
        Assert.Contains("On the command line: rebuild start rbc_refuse starts a rebuild.", cut, StringComparison.Ordinal);

        var (retireCode, retire) = await Cli.RunAsync(host, "rebuild", "retire", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, retireCode);
        Assert.Contains("Retire of projection 'rbc_refuse' refused: retiring follows a cutover, and it has never been rebuilt.", retire, StringComparison.Ordinal);

        Assert.Equal(ReadModelKitExitCodes.Ok, (await Cli.RunAsync(host, "rebuild", "start", p.Name, "--plan-only")).Code);
        var (twiceCode, twice) = await Cli.RunAsync(host, "rebuild", "start", p.Name, "--plan-only");
        Assert.Equal(ReadModelKitExitCodes.Refused, twiceCode);
        Assert.Contains("Projection 'rbc_refuse' already has rebuild run", twice, StringComparison.Ordinal);
        Assert.Contains("(v1 -> v2) in state Planned: only one rebuild per projection runs at a time.", twice, StringComparison.Ordinal);
        Assert.Contains("rebuild cancel rbc_refuse cancels it", twice, StringComparison.Ordinal);
        Assert.Equal([1, 2], JsonDocument.Parse((await Cli.RunAsync(host, "rebuild", "status", p.Name, "--json")).Output).RootElement[0].GetProperty("versions").GetProperty("fed").EnumerateArray().Select(v => v.GetInt32()));

        var (earlyCode, early) = await Cli.RunAsync(host, "rebuild", "cutover", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, earlyCode);
        Assert.Contains("the gate has not passed yet", early, StringComparison.Ordinal);
        Assert.Contains("rebuild run rbc_refuse backfills and validates until the run is Ready", early, StringComparison.Ordinal);

        var (backCode, back) = await Cli.RunAsync(host, "rebuild", "rollback", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, backCode);
        Assert.Contains("the view still serves v1, so there is nothing to roll back", back, StringComparison.Ordinal);
        Assert.Contains("rebuild cancel rbc_refuse stops the rebuild", back, StringComparison.Ordinal);

        Assert.Equal(ReadModelKitExitCodes.Ok, (await Cli.RunAsync(host, "rebuild", "cancel", p.Name, "--keep-table")).Code);
        Assert.True(await p.ExistsAsync("rbc_refuse_rm_v2"));
        var (cancelCode, cancel) = await Cli.RunAsync(host, "rebuild", "cancel", p.Name);
        Assert.Equal(ReadModelKitExitCodes.Refused, cancelCode);
        Assert.Contains("has no active rebuild to cancel: its last run", cancel, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rebuild start rbc_args --throttle fast", 2, "Bad duration 'fast' for --throttle: type a number with ms, s or m (or hh:mm:ss), for example --throttle 50ms or --throttle 2s.")]
    [InlineData("rebuild start rbc_args --throttle 1m", 2, "--throttle 00:01:00 is not below the run's lease duration (00:00:30, Rebuild.LeaseDuration)")]
    [InlineData("rebuild run rbc_args --chunk-size 0", 2, "--chunk-size 0: type a number of rows of at least 1, for example --chunk-size 1000.")]
    [InlineData("rebuild start rbc_nope", 2, "Unknown projection 'rbc_nope'. Registered projections: rbc_args. Type one of them after rebuild start, for example rebuild start rbc_args.")]
    [InlineData("rebuild cutover", 2, "Required argument missing for command: 'cutover'.")]
    [InlineData("rebuild run rbc_args", 6, "Projection 'rbc_args' has no rebuild to run: start one with StartAsync.")]
    public async Task Bad_rebuild_arguments_exit_with_their_documented_code_and_say_what_to_type(string args, int code, string message)
    {
        var p = await RebuildableProjection.CreateOnceAsync(db, "rbc_args");
        using var host = p.Host();

        var (exit, output) = await Cli.RunAsync(host, args.Split(' '));

        Assert.Equal(code, exit);
        Assert.Contains(message, output.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_projection_whose_recompute_query_cannot_backfill_exits_1_and_nothing_is_created()
    {
        await TestNode.CreateTablesAsync(db, "rbc_plain");
        using var host = TestNode.Builder(db, [TestNode.Contract("rbc_plain", "rbc-plain") with { Rebuild = Contracts.RebuildMethod.BackfillFromCanonicalTables }], library: "rb_plain").Build();

        var (code, output) = await Cli.RunAsync(host, "rebuild", "start", "rbc_plain");

        Assert.Equal(ReadModelKitExitCodes.Failed, code);
        Assert.Contains("Projection 'rbc_plain' cannot be rebuilt by backfill: the mapping has no RecomputeSql.", output.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);
        Assert.Equal("r", await db.ScalarAsync<string>("SELECT relkind::text FROM pg_class WHERE oid = to_regclass('rbc_plain_rm')"));
    }

    [Fact]
    public async Task On_an_interactive_terminal_the_backfill_shows_a_live_progress_bar()
    {
        var p = await RebuildableProjection.CreateAsync(db, "rbc_tty");
        using var host = await p.RunningAsync(cases: 12);

        var (code, output) = await Cli.RunInteractiveAsync(host, "rebuild", "start", p.Name, "--chunk-size", "5", "--throttle", "10ms");

        Assert.Equal(ReadModelKitExitCodes.Ok, code);
        Assert.Contains("rbc_tty v2: ", output, StringComparison.Ordinal);
        Assert.Contains("100%", output, StringComparison.Ordinal);
        Assert.Contains("v1 -> v2 Ready; 12 row(s) backfilled.", output, StringComparison.Ordinal);
        await host.StopAsync();
    }
}
