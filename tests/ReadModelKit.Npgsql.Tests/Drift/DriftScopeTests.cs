using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>Checks of one tenant, a key range, or a random sample see exactly (or a subset of) the oracle's difference in that scope.</summary>
public sealed class DriftScopeTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    private static readonly Gen<(DriftCase Case, string Tenant, int From, int To)> Scoped =
        from c in DriftCases.Case
        from tenant in Gen.Elements(Tenants)
        from lower in Gen.Choose(0, 40)
        from width in Gen.Choose(0, 30)
        select (c, tenant, lower, lower + width);

    [Fact]
    public async Task A_tenant_or_key_range_check_equals_the_oracle_restricted_to_it()
    {
        var store = await CreateAsync(fx, "scope");
        var reconcilers = new[] { store.Drift, new DriftReconciler(store, fx.Source) };
        Prop.ForAll(Scoped.ToArbitrary(), input =>
        {
            var (c, tenant, from, to) = input;
            LoadAsync(fx, "scope", c).GetAwaiter().GetResult();
            var projection = Projection("scope", c);
            var (scope, where) = c.Composite
                ? (DriftScope.Tenant(tenant), $"{{k1}} = '{tenant.Replace("'", "''", StringComparison.Ordinal)}'")
                : (DriftScope.Range(new RowKey((long)from), new RowKey((long)to)), $"{{k2}} >= {from} AND {{k2}} < {to}");
            var oracle = OracleAsync(fx, "scope", c.Composite, where).GetAwaiter().GetResult();
            foreach (var drift in reconcilers)
            {
                var report = drift.CheckAsync(projection, Options(o => { o.Scope = scope; o.SameDatabase.ChunkSize = 3; o.CrossDatabase.BlockSize = 4; o.CrossDatabase.LeafThreshold = 2; o.CrossDatabase.FanOut = 3; })).GetAwaiter().GetResult();
                var found = Found(report);
                Assert.True(found.SetEquals(oracle), $"{drift.Strategy} {scope} found [{Describe(found)}] but the oracle says [{Describe(oracle)}] for {c}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25).WithEndSize(60));
    }

    [Fact]
    public async Task A_composite_key_range_orders_text_keys_byte_wise_in_both_strategies()
    {
        var store = await CreateAsync(fx, "crange");
        var rows = Tenants.SelectMany(t => Enumerable.Range(1, 6).Select(i => new CaseRow(t, i, ["'x'", null, "1", null, null, null]))).ToList();
        await LoadAsync(fx, "crange", new DriftCase(true, "all missing", rows, []));
        var scope = DriftScope.Range(new RowKey("T1", 3), new RowKey("t10", 2));
        var oracle = await OracleAsync(fx, "crange", true, "ROW({k1} COLLATE \"C\", {k2}) >= ROW('T1', 3) AND ROW({k1} COLLATE \"C\", {k2}) < ROW('t10', 2)");
        // Byte order: 'T1' < 'a b' < 't1' < 't10' < 't2' < 'ä', so the range holds (T1, 3..6), all of 'a b' and 't1', and (t10, 1).
        Assert.Equal(4 + 6 + 6 + 1, oracle.Count);
        foreach (var drift in new[] { store.Drift, new DriftReconciler(store, fx.Source) })
        {
            var found = Found(await drift.CheckAsync("crange_c", Options(o => { o.Scope = scope; o.SameDatabase.ChunkSize = 2; o.CrossDatabase.LeafThreshold = 1; o.CrossDatabase.FanOut = 2; })));
            Assert.True(found.SetEquals(oracle), $"{drift.Strategy} found [{Describe(found)}] but the oracle says [{Describe(oracle)}]");
        }
    }

    [Fact]
    public async Task A_sample_check_finds_a_subset_of_the_real_drift_and_nothing_on_a_clean_table()
    {
        var store = await CreateAsync(fx, "sample");
        var rows = Enumerable.Range(1, 2000).Select(i => new CaseRow("t1", i, ["'x'", null, "1", null, null, null])).ToList();
        var everyFifthChanged = rows.Select((r, i) => new ModelRow(i % 5 == 0 ? r with { Values = ["'drifted'", null, "1", null, null, null] } : r, false)).ToList();
        await LoadAsync(fx, "sample", new DriftCase(false, "every fifth row changed", rows, everyFifthChanged));
        var oracle = await OracleAsync(fx, "sample", false);
        foreach (var drift in new[] { store.Drift, new DriftReconciler(store, fx.Source) })
        {
            var report = await drift.CheckAsync("sample_s", Options(o => { o.Mode = DriftCheckMode.Sample; o.SampleRanges = 3; o.SampleRangeRows = 50; o.SameDatabase.ChunkSize = 4; o.CrossDatabase.LeafThreshold = 10; }));
            var found = Found(report);
            Assert.Equal(DriftCheckMode.Sample, report.Mode);
            Assert.NotEmpty(found);
            Assert.True(found.IsSubsetOf(oracle), $"{drift.Strategy} sample found drift the oracle does not have: {Describe(found.Except(oracle))}");
            Assert.InRange(report.CheckedRows, 1, 3 * 50);
            Assert.InRange(found.Count, 1, 3 * 50 / 5 + 3);
        }

        await LoadAsync(fx, "sample", new DriftCase(false, "clean", rows, rows.Select(r => new ModelRow(r, false)).ToList()));
        foreach (var drift in new[] { store.Drift, new DriftReconciler(store, fx.Source) })
        {
            var clean = await drift.CheckAsync("sample_s", Options(o => { o.Mode = DriftCheckMode.Sample; o.SampleRanges = 5; o.SampleRangeRows = 20; }));
            Assert.True(clean.Clean);
            Assert.InRange(clean.CheckedRows, 1, 5 * 20);
        }
    }

    [Fact]
    public async Task A_scope_that_does_not_fit_the_key_is_rejected_with_every_problem()
    {
        var store = await CreateAsync(fx, "badscope");
        var error = await Assert.ThrowsAsync<DriftCheckException>(() => store.Drift.CheckAsync("badscope_c", new DriftCheckOptions
        {
            Scope = new DriftScope { KeyPrefix = ["t1", 1, 2], From = new RowKey("t1") },
        }));
        Assert.Equal(
            "The drift check scope does not fit the keys of projection 'badscope_c' (tenant_id, case_id): Scope.KeyPrefix has 3 values but the table has 2 key column(s): give at most one value per key column, in key-column order. Scope.From is (t1) with 1 value(s) but the table has 2 key column(s): give a full key.",
            error.Message);
        Assert.Equal("prefix (t1, 1, 2), range [(t1), end)", new DriftScope { KeyPrefix = ["t1", 1, 2], From = new RowKey("t1") }.ToString());
        Assert.Equal("all keys", DriftScope.All.ToString());
    }
}
