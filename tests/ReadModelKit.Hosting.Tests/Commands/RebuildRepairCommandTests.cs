using System.Text.Json;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Hosting.Commands;
using ReadModelKit.Hosting.Tests.Infrastructure;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Commands;

/// <summary><c>rebuild repair</c>: each scope recomputes exactly its keys from the source into the serving table.</summary>
public sealed class RebuildRepairCommandTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Repair_by_key_keys_range_tenant_and_all_changes_exactly_the_targeted_rows()
    {
        var p = await RebuildableProjection.CreateAsync(db, "rrc_scope");
        await SeedCorruptedAsync(p.Name);
        using var host = p.Host();

        var (keyCode, key) = await Cli.RunAsync(host, "rebuild", "repair", p.Name, "--key", "t1/2");
        Assert.Equal(ReadModelKitExitCodes.Ok, keyCode);
        Assert.Equal("rrc_scope: repaired prefix (t1, 2): 1 key(s) recomputed, 1 row(s) written in 1 batch(es). Last key t1/2.", key.Trim().Split('\n')[^1]);
        Assert.Equal(Rows(t1: [2], t2: []), await p.LiveRowsAsync(p.View));

        var (keysCode, keys) = await Cli.RunAsync(host, "rebuild", "repair", p.Name, "--key", "t1/3", "--key", "t1/4", "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, keysCode);
        var twoKeys = JsonDocument.Parse(keys).RootElement;
        Assert.Equal((2L, 2L, 2), (twoKeys.GetProperty("keysChecked").GetInt64(), twoKeys.GetProperty("rowsWritten").GetInt64(), twoKeys.GetProperty("batches").GetInt32()));
        Assert.Equal(Rows(t1: [2, 3, 4], t2: []), await p.LiveRowsAsync(p.View));

        var (rangeCode, _) = await Cli.RunAsync(host, "rebuild", "repair", p.Name, "--from", "t1/5", "--to", "t1/6");
        Assert.Equal(ReadModelKitExitCodes.Ok, rangeCode);
        Assert.Equal(Rows(t1: [2, 3, 4, 5], t2: []), await p.LiveRowsAsync(p.View));

        var (tenantCode, tenant) = await Cli.RunAsync(host, "rebuild", "repair", p.Name, "--tenant", "t2", "--chunk-size", "3", "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, tenantCode);
        var byTenant = JsonDocument.Parse(tenant).RootElement;
        Assert.Equal(("prefix (t2)", 4L, 4L, 2), (byTenant.GetProperty("scope").GetString(), byTenant.GetProperty("keysChecked").GetInt64(), byTenant.GetProperty("rowsWritten").GetInt64(), byTenant.GetProperty("batches").GetInt32()));
        Assert.Equal(["t2", "4"], byTenant.GetProperty("lastKey").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(Rows(t1: [2, 3, 4, 5], t2: [1, 2, 3, 4]), await p.LiveRowsAsync(p.View));

        // A key the source no longer has is tombstoned, not left behind.
        await db.ExecuteAsync("DELETE FROM rrc_scope_src WHERE tenant_id = 't1' AND case_id = 6");
        var (goneCode, _) = await Cli.RunAsync(host, "rebuild", "repair", p.Name, "--key", "t1/6");
        Assert.Equal(ReadModelKitExitCodes.Ok, goneCode);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM rrc_scope_rm WHERE tenant_id = 't1' AND case_id = 6 AND deleted_at IS NOT NULL"));

        var (allCode, all) = await Cli.RunAsync(host, "rebuild", "repair", p.Name, "--all", "--json");
        Assert.Equal(ReadModelKitExitCodes.Ok, allCode);
        var everything = JsonDocument.Parse(all).RootElement;
        Assert.Equal(("all keys", 10L, 1L), (everything.GetProperty("scope").GetString(), everything.GetProperty("keysChecked").GetInt64(), everything.GetProperty("rowsWritten").GetInt64()));
        Assert.Equal(await p.SourceRowsAsync(), await p.LiveRowsAsync(p.View));
    }

    [Theory]
    [InlineData("", "Say which keys to repair: --key KEY (one entity, repeatable), --tenant T (narrowed by --from/--to), --from KEY and/or --to KEY (a key range), or --all. For example rebuild repair rrc_args --key t1/42.")]
    [InlineData("--all --tenant t1", "--all repairs every key: drop --key, --tenant, --from and --to, or drop --all.")]
    [InlineData("--key t1/1 --from t1/1", "--key repairs exactly the keys given: drop --tenant, --from and --to, or drop --key.")]
    [InlineData("--key t1/1 --resume-after t1/1", "--resume-after continues an interrupted repair of a scope (--tenant, --from/--to or --all), not of --key: drop it.")]
    [InlineData("--key t1/x", "Bad key 't1/x' for --key: 'x' is not a valid integer for key column case_id of rrc_args (key column(s) tenant_id text, case_id integer); for example --key t1/42.")]
    [InlineData("--tenant t1 --resume-after t1", "Bad key 't1' for --resume-after: rrc_args has key column(s) tenant_id text, case_id integer, so type 2 value(s) separated by '/', for example --resume-after t1/42.")]
    [InlineData("--all --throttle 5", "Bad duration '5' for --throttle")]
    public async Task Bad_repair_arguments_exit_2_say_what_to_type_and_change_nothing(string args, string message)
    {
        var p = await RebuildableProjection.CreateOnceAsync(db, "rrc_args");
        using var host = p.Host();

        var (code, output) = await Cli.RunAsync(host, ["rebuild", "repair", p.Name, .. args.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

        Assert.Equal(ReadModelKitExitCodes.BadArguments, code);
        Assert.Contains(message, output.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM rrc_args_rm"));
    }

    /// <summary>Source and read model hold t1/1..6 and t2/1..4 (open, version 1); every read-model row is then corrupted behind the library's back.</summary>
    private async Task SeedCorruptedAsync(string name) => await db.ExecuteAsync($"""
        INSERT INTO {name}_src SELECT 't1', i, 'open', NULL, 1 FROM generate_series(1, 6) i;
        INSERT INTO {name}_src SELECT 't2', i, 'open', NULL, 1 FROM generate_series(1, 4) i;
        INSERT INTO {name}_rm (tenant_id, case_id, status, version, projected_at) SELECT tenant_id, case_id, 'corrupt', version, now() FROM {name}_src;
        """);

    /// <summary>The expected live rows: the listed cases repaired (open), every other case still corrupt.</summary>
    private static string Rows(int[] t1, int[] t2) => string.Join(' ',
        Enumerable.Range(1, 6).Select(i => $"t1/{i}:{(t1.Contains(i) ? "open" : "corrupt")}@1")
            .Concat(Enumerable.Range(1, 4).Select(i => $"t2/{i}:{(t2.Contains(i) ? "open" : "corrupt")}@1")));
}
