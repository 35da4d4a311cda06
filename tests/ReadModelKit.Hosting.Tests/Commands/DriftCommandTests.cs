using System.Text.Json;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Commands;

public sealed class DriftCommandTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Drift_check_exits_3_on_drift_repair_fixes_it_and_scopes_narrow_it()
    {
        using var host = await DriftedHostAsync("dr_case");

        var (code, output) = await Cli.RunAsync(host, "drift", "check", "--projection", "dr_case");
        Assert.Equal(ReadModelKitExitCodes.DriftFound, code);
        Assert.Contains("3 drifted row(s)", output, StringComparison.Ordinal);

        var (jsonCode, json) = await Cli.RunAsync(host, "drift", "check", "--json");
        Assert.Equal(ReadModelKitExitCodes.DriftFound, jsonCode);
        var report = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal(("dr_case", 1L, 1L, 1L), (report.GetProperty("projection").GetString(), report.GetProperty("missing").GetInt64(), report.GetProperty("extra").GetInt64(), report.GetProperty("changed").GetInt64()));

        var (tenantCode, tenant) = await Cli.RunAsync(host, "drift", "check", "--projection", "dr_case", "--tenant", "t2");
        Assert.Equal(ReadModelKitExitCodes.Ok, tenantCode);
        Assert.Contains("No drift.", tenant, StringComparison.Ordinal);

        var (rangeCode, range) = await Cli.RunAsync(host, "drift", "check", "--projection", "dr_case", "--from", "t1/3", "--to", "t1/9", "--json");
        Assert.Equal(ReadModelKitExitCodes.DriftFound, rangeCode);
        var ranged = JsonDocument.Parse(range).RootElement[0];
        Assert.Equal((1L, 0L, 0L), (ranged.GetProperty("missing").GetInt64(), ranged.GetProperty("extra").GetInt64(), ranged.GetProperty("changed").GetInt64()));

        var (repairCode, repair) = await Cli.RunAsync(host, "drift", "repair", "--projection", "dr_case");
        Assert.Equal(ReadModelKitExitCodes.Ok, repairCode);
        Assert.Contains("3 drifted row(s) found in all keys; 3 key(s) recomputed", repair, StringComparison.Ordinal);
        Assert.Equal(ReadModelKitExitCodes.Ok, (await Cli.RunAsync(host, "drift", "check", "--projection", "dr_case")).Code);

        await db.ExecuteAsync("UPDATE dr_case_rm SET status = 'wrong' WHERE tenant_id = 't2' AND case_id = 1");
        var (keyCode, key) = await Cli.RunAsync(host, "drift", "repair", "--projection", "dr_case", "--key", "t2/1", "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, keyCode);
        Assert.Equal(1, JsonDocument.Parse(key).RootElement.GetProperty("keysRepaired").GetInt64());
        Assert.Equal("open", await db.ScalarAsync<string>("SELECT status FROM dr_case_rm WHERE tenant_id = 't2' AND case_id = 1"));
    }

    [Theory]
    [InlineData("--sample --full", "--sample and --full exclude each other: type --sample to compare a sample of key ranges, or --full (the default) to compare every key.")]
    [InlineData("--ranges 4", "--ranges sets how many key ranges a sampled check compares: add --sample, or drop --ranges.")]
    [InlineData("--parallel-workers 2000", "--parallel-workers 2000: type a number of workers from 0 to 1024 (PostgreSQL's limit), for example --parallel-workers 2.")]
    [InlineData("--from t1/x", "Bad key 't1/x' for --from: 'x' is not a valid integer for key column case_id of dr_bad (key column(s) tenant_id text, case_id integer); for example --from t1/42.")]
    [InlineData("--to t1", "Bad key 't1' for --to: dr_bad has key column(s) tenant_id text, case_id integer, so type 2 value(s) separated by '/', for example --to t1/42.")]
    [InlineData("--tenant t1/2/3", "Bad key 't1/2/3' for --tenant: dr_bad has key column(s) tenant_id text, case_id integer, so type up to 2 value(s) separated by '/', for example --tenant t1/42.")]
    public async Task Bad_drift_arguments_exit_2_and_say_what_to_type(string args, string message)
    {
        using var host = await DriftedHostAsync("dr_bad");

        var (code, output) = await Cli.RunAsync(host, ["drift", "check", "--projection", "dr_bad", .. args.Split(' ')]);

        Assert.Equal(ReadModelKitExitCodes.BadArguments, code);
        Assert.Contains(message, output.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drift_check_runs_under_the_parallel_worker_limit_it_is_given()
    {
        // The recompute query reports the setting it runs under, against '0' in the read model.
        const string name = "dr_workers";
        await TestNode.CreateTablesAsync(db, name);
        await db.ExecuteAsync($"""
            CREATE TABLE {name}_src (tenant_id text, case_id integer, PRIMARY KEY (tenant_id, case_id));
            INSERT INTO {name}_src SELECT 't1', g FROM generate_series(1, 10) g;
            INSERT INTO {name}_rm (tenant_id, case_id, status, title, version, projected_at) SELECT 't1', g, 'open', '0', 1, now() FROM generate_series(1, 10) g;
            """);
        var mapping = new ReadModelTableMapping
        {
            Table = name + "_rm",
            KeyColumns = ["tenant_id", "case_id"],
            ValueColumns = ["status", "title"],
            RecomputeSql = $"SELECT tenant_id, case_id, 'open' AS status, current_setting('max_parallel_workers_per_gather') AS title FROM {name}_src",
        };
        using var host = TestNode.Builder(db, [TestNode.Contract(name, name)], library: "drift_" + name, store: o => o.Map(name, mapping)).Build();

        Assert.Equal(ReadModelKitExitCodes.Ok, (await Cli.RunAsync(host, "drift", "check", "--projection", name)).Code);
        var (code, output) = await Cli.RunAsync(host, "drift", "check", "--projection", name, "--parallel-workers", "3");
        Assert.Equal(ReadModelKitExitCodes.DriftFound, code);
        Assert.Contains("10 drifted row(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scopes_without_a_projection_and_keys_with_a_scope_are_refused()
    {
        using var host = await DriftedHostAsync("dr_conflict");

        var (scopeCode, scope) = await Cli.RunAsync(host, "drift", "check", "--tenant", "t1");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, scopeCode);
        Assert.Contains("--tenant, --from and --to are keys of one table: add --projection NAME.", scope, StringComparison.Ordinal);

        var (keyCode, key) = await Cli.RunAsync(host, "drift", "repair", "--projection", "dr_conflict", "--key", "t1/1", "--tenant", "t1");
        Assert.Equal(ReadModelKitExitCodes.BadArguments, keyCode);
        Assert.Contains("Use --key alone to recompute given keys, or a scope", key, StringComparison.Ordinal);
    }

    /// <summary>A host with the drifted projection <paramref name="name"/> (see <see cref="DriftedProjection"/>).</summary>
    private async Task<IHost> DriftedHostAsync(string name)
    {
        await DriftedProjection.CreateAsync(db, name);
        return TestNode.Builder(db, [TestNode.Contract(name, name)], library: "drift_" + name, store: o => o.Map(name, DriftedProjection.Mapping(name))).Build();
    }
}
