using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>Repair laws: after repair detection finds nothing, rows outside the drift are untouched, and repairing twice changes nothing.</summary>
public sealed class DriftRepairTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Fact]
    public async Task Repair_leaves_no_drift_touches_nothing_else_and_is_idempotent_in_both_strategies()
    {
        var store = await CreateAsync(fx, "rep");
        var reconcilers = new[] { store.Drift, new DriftReconciler(store, fx.Source) };
        var repaired = 0L;
        Prop.ForAll(DriftCases.Case.ToArbitrary(), Gen.Elements(0, 1).ToArbitrary(), (c, which) =>
        {
            RunAsync(store, reconcilers[which], c).GetAwaiter().GetResult();
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(30).WithEndSize(50));

        async Task RunAsync(NpgsqlReadModelStore s, DriftReconciler drift, DriftCase c)
        {
            await fx.ExecuteAsync($"DELETE FROM \"{fx.Schema}_rmk\".drift_incident");
            await LoadAsync(fx, "rep", c);
            var projection = Projection("rep", c);
            var rm = c.Composite ? "rep_rm_c" : "rep_rm_s";
            var keyColumns = c.Composite ? "tenant_id, case_id" : "id";
            var report = await drift.CheckAsync(projection, Options(o => o.RecordIncidents = true));
            var drifted = Found(report).Select(f => f.Key).ToHashSet();
            Assert.Equal(report.Total, report.IncidentsRecorded);
            var before = await DumpAsync(fx.ReadModel, $"SELECT {keyColumns}, title, note, amount, updated_at, score, doc, version, projected_at, deleted_at FROM {rm} ORDER BY {keyColumns}");

            var result = await drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1, BatchSize = 7 });

            Assert.Equal(report.Total, result.KeysRepaired);
            Assert.Equal(report.Total, result.IncidentsClosed);
            Assert.Equal(report.Total, result.RowsWritten);
            Assert.Empty(await drift.ListIncidentsAsync(projection));
            var after = await drift.CheckAsync(projection, Options());
            Assert.True(after.Clean, $"still drifted after repair: {Describe(Found(after))} for {c}");
            var afterRows = await DumpAsync(fx.ReadModel, $"SELECT {keyColumns}, title, note, amount, updated_at, score, doc, version, projected_at, deleted_at FROM {rm} ORDER BY {keyColumns}");
            var untouchedBefore = before.Where(r => !drifted.Contains(KeyOf(r, c.Composite))).ToList();
            var untouchedAfter = afterRows.Where(r => !drifted.Contains(KeyOf(r, c.Composite))).ToList();
            Assert.Equal(untouchedBefore, untouchedAfter);

            var again = await drift.RepairAsync(after, new DriftRepairOptions { MaxDriftShare = 1 });
            var direct = await drift.RepairKeysAsync(projection, drifted);
            Assert.Equal((0L, 0L), (again.KeysRepaired, again.RowsWritten));
            Assert.Equal(0L, direct.RowsWritten);
            Assert.Equal(afterRows, await DumpAsync(fx.ReadModel, $"SELECT {keyColumns}, title, note, amount, updated_at, score, doc, version, projected_at, deleted_at FROM {rm} ORDER BY {keyColumns}"));
            repaired += result.KeysRepaired;
        }

        Assert.True(repaired > 0, "no generated case had anything to repair");
    }

    [Fact]
    public async Task Repair_writes_the_source_version_when_the_recompute_query_returns_it()
    {
        await fx.ExecuteSourceAsync("""
            CREATE TABLE ver_src (id int4 PRIMARY KEY, title text, version bigint NOT NULL);
            INSERT INTO ver_src VALUES (1, 'a', 5), (2, 'b', 7), (3, 'c', 2), (5, 'e', 3);
            """);
        await fx.ExecuteAsync("CREATE TABLE ver_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        var store = await fx.StoreAsync(("ver", new ReadModelKit.Npgsql.Mapping.ReadModelTableMapping
        {
            Table = "ver_rm",
            KeyColumns = ["id"],
            ValueColumns = ["title"],
            RecomputeSql = $"SELECT id, title, version FROM {fx.SourceTable("ver_src")}",
            RecomputeReturnsVersion = true,
        }));
        foreach (var drift in new[] { store.Drift, new DriftReconciler(store, fx.Source) })
        {
            // Right (1), changed behind the library's back (2), missing (3), stray (4); 5 agrees but was repaired earlier at version + 1.
            await fx.ExecuteAsync("TRUNCATE ver_rm; INSERT INTO ver_rm (id, title, version) VALUES (1, 'a', 5), (2, 'wrong', 7), (4, 'x', 9), (5, 'e', 4)");
            var report = await drift.CheckAsync("ver", Options(o => o.RecordIncidents = true));
            Assert.Equal((1L, 1L, 1L), (report.Missing, report.Changed, report.Extra));

            var result = await drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1 });

            Assert.Equal(3, result.RowsWritten);
            Assert.True((await drift.CheckAsync("ver", Options())).Clean);
            Assert.Equal(1L, (await drift.RepairKeysAsync("ver", [new RowKey(5L)])).RowsWritten);
            // Repaired rows carry the source's version, so the event after it (2 → version 8) still applies; the stray row is tombstoned at version + 1.
            Assert.Equal(
                ["1|a|5|∅", "2|b|7|∅", "3|c|2|∅", "4|∅|10|deleted", "5|e|3|∅"],
                await DumpAsync(fx.ReadModel, "SELECT id, title, version, CASE WHEN deleted_at IS NOT NULL THEN 'deleted' END FROM ver_rm ORDER BY id"));
        }
    }

    [Fact]
    public async Task Repair_refuses_when_the_drift_share_says_rebuild()
    {
        var store = await CreateAsync(fx, "big");
        var rows = Enumerable.Range(1, 50).Select(i => new CaseRow("t1", i, ["'x'", null, "1", null, null, null])).ToList();
        var c = new DriftCase(false, "half drifted", rows, rows.Take(25).Select(r => new ModelRow(r, false)).ToList());
        await LoadAsync(fx, "big", c);
        var report = await store.Drift.CheckAsync("big_s");
        Assert.Equal(25, report.Missing);
        var before = await DumpAsync(fx.ReadModel, "SELECT * FROM big_rm_s ORDER BY id");

        var refused = await Assert.ThrowsAsync<DriftTooLargeException>(() => store.Drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 0.2, SmallDriftKeys = 10 }));

        Assert.Equal("big_s", refused.ProjectionName);
        Assert.Equal((25L, 50L, 0.2), (refused.Drifted, refused.CheckedRows, refused.MaxShare));
        Assert.Contains("has drifted on 25 of 50 checked row(s), more than the 20% a key-by-key repair is allowed to fix", refused.Message, StringComparison.Ordinal);
        Assert.Contains("A rebuild is the right tool", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await DumpAsync(fx.ReadModel, "SELECT * FROM big_rm_s ORDER BY id"));

        // Small drift is repaired whatever its share; so is drift below the share.
        var small = await store.Drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 0.2, SmallDriftKeys = 25 });
        Assert.Equal(25, small.RowsWritten);
        Assert.True((await store.Drift.CheckAsync("big_s")).Clean);
    }

    [Fact]
    public async Task Repair_refuses_when_the_check_could_not_record_all_drift()
    {
        var store = await CreateAsync(fx, "trunc");
        var rows = Enumerable.Range(1, 12).Select(i => new CaseRow("t1", i, ["'x'", null, "1", null, null, null])).ToList();
        await LoadAsync(fx, "trunc", new DriftCase(false, "all missing", rows, []));
        var report = await store.Drift.CheckAsync("trunc_s", new DriftCheckOptions { MaxIncidents = 5 });

        Assert.True(report.IncidentsTruncated);
        Assert.Equal(5, report.IncidentsRecorded);
        Assert.Equal(12, report.Missing);
        await Assert.ThrowsAsync<DriftTooLargeException>(() => store.Drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1 }));
    }

    [Fact]
    public async Task Repairing_keys_directly_fixes_one_entity_and_rejects_malformed_keys()
    {
        var store = await CreateAsync(fx, "one");
        var rows = Enumerable.Range(1, 5).Select(i => new CaseRow("t1", i, ["'x'", null, "1", null, null, null])).ToList();
        var model = rows.Select(r => new ModelRow(r with { Values = ["'stale'", null, "1", null, null, null] }, false)).ToList();
        await LoadAsync(fx, "one", new DriftCase(false, "all changed", rows, model));

        var result = await store.Drift.RepairKeysAsync("one_s", [new RowKey(3L)]);

        Assert.Equal((1L, 1L, 0L), (result.KeysRepaired, result.RowsWritten, result.IncidentsClosed));
        Assert.Equal(["1|stale|1", "2|stale|1", "3|x|2", "4|stale|1", "5|stale|1"], await DumpAsync(fx.ReadModel, "SELECT id, title, version FROM one_rm_s ORDER BY id"));
        var wrong = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.RepairKeysAsync("one_s", [new RowKey("t1", 3)]));
        Assert.Equal("Key (t1, 3) has 2 value(s) but projection 'one_s' has 1 key column(s) (id): give one value per key column.", wrong.Message);
    }

    [Fact]
    public async Task Invalid_repair_options_are_listed_in_one_message()
    {
        var store = await CreateAsync(fx, "opt");
        var report = await store.Drift.CheckAsync("opt_s");
        var error = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.RepairAsync(report, new DriftRepairOptions { BatchSize = 0, MaxDriftShare = 1.5, SmallDriftKeys = -1 }));
        Assert.Equal(
            string.Join(Environment.NewLine, "Drift repair options are invalid (3):", " - BatchSize is 0: it must be at least 1.", " - MaxDriftShare is 1.5: use a share between 0 and 1 (0.05 = 5% of the checked rows).", " - SmallDriftKeys is -1: it cannot be negative."),
            error.Message);
    }

    private static RowKey KeyOf(string dumpRow, bool composite)
    {
        var parts = dumpRow.Split('|');
        return composite ? new RowKey(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)) : new RowKey(long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
    }
}
