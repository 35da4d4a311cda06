using System.Globalization;
using System.Text;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Npgsql.Tests.Privacy;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>A drift check and repair scoped to one tenant find and touch that tenant's rows only, whatever the other tenants hold.</summary>
public sealed class DriftTenantScopeTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly string[] Tenants = ["t1", "t2", "t3"];

    /// <summary>One key's state on each side: null for no row, else the party name; a read-model row may be tombstoned.</summary>
    public sealed record Cell(string Tenant, int Case, string? Source, string? Model, bool Tombstoned);

    private static readonly Gen<Cell[]> Cells =
        Gen.ArrayOf(
                from source in Gen.Elements<string?>(null, "Ana", "Bea")
                from model in Gen.Elements<string?>(null, "Ana", "Bea")
                from tombstoned in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
                select (source, model, tombstoned),
                Tenants.Length * 4)
            .Select(states => states.Select((s, i) => new Cell(Tenants[i / 4], 1 + (i % 4), s.source, s.model, s.model is not null && s.tombstoned)).ToArray());

    [Fact]
    public async Task A_check_and_repair_scoped_to_one_tenant_touch_only_that_tenants_rows_and_incidents_in_both_strategies()
    {
        var store = await PartyProjection.CreateStoreAsync(db, [new PartyProjection(PartyProjection.ContractFor("ts"))]);

        // The cross-database strategy, pointed at the same database, compares keys in byte order and filters incidents the same way.
        var reconcilers = new[] { store.Drift, new DriftReconciler(store, db.DataSource) };
        Prop.ForAll(Cells.ToArbitrary(), Gen.Elements(Tenants).ToArbitrary(), Gen.Elements(0, 1).ToArbitrary(), (cells, tenant, which) => RunAsync(reconcilers[which], cells, tenant).GetAwaiter().GetResult())
            .Check(Config.QuickThrowOnFailure.WithMaxTest(30));
    }

    private async Task RunAsync(DriftReconciler drift, Cell[] cells, string tenant)
    {
        var load = new StringBuilder($"TRUNCATE ts, ts_src; DELETE FROM \"{db.Schema}_rmk\".drift_incident WHERE projection_name = 'ts';");
        foreach (var c in cells)
        {
            if (c.Source is { } s)
            {
                load.Append(CultureInfo.InvariantCulture, $"INSERT INTO ts_src VALUES ('{c.Tenant}', {c.Case}, 'open', '{s}');");
            }

            if (c.Model is { } m)
            {
                load.Append(CultureInfo.InvariantCulture, $"INSERT INTO ts VALUES ('{c.Tenant}', {c.Case}, 'open', '{m}', 1, now(), {(c.Tombstoned ? "now()" : "NULL")});");
            }
        }

        await db.ExecuteAsync(load.ToString());
        await drift.CheckAsync("ts"); // open incidents for every tenant
        var othersBefore = await OthersAsync(tenant);

        var report = await drift.CheckAsync("ts", new DriftCheckOptions { Scope = DriftScope.Tenant(tenant) });
        await drift.RepairAsync(report, new DriftRepairOptions { MaxDriftShare = 1 });

        var mine = cells.Where(c => c.Tenant == tenant).ToList();
        var live = (Cell c) => c.Model is not null && !c.Tombstoned;
        Assert.Equal(
            (mine.Count(c => c.Source is not null && !live(c)), mine.Count(c => c.Source is null && live(c)), mine.Count(c => c.Source is not null && live(c) && c.Source != c.Model)),
            (report.Missing, report.Extra, report.Changed));
        Assert.Equal(othersBefore, await OthersAsync(tenant));
        Assert.Equal(
            string.Join(",", mine.Where(c => c.Source is not null).Select(c => $"{c.Case}={c.Source}")),
            await db.ScalarAsync<string>($"SELECT coalesce(string_agg(case_id || '=' || party_display_name, ',' ORDER BY case_id), '') FROM ts WHERE tenant_id = '{tenant}' AND deleted_at IS NULL") ?? "");
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".drift_incident WHERE projection_name = 'ts' AND repaired_at IS NULL AND row_key->>0 = '{tenant}'"));
    }

    /// <summary>Every read-model row (all columns) and every incident (with its repair state) of the other tenants.</summary>
    private async Task<string> OthersAsync(string tenant) =>
        await db.ScalarAsync<string>($"""
            SELECT coalesce((SELECT string_agg(t::text, ';' ORDER BY tenant_id, case_id) FROM ts t WHERE tenant_id <> '{tenant}'), '')
                || '|' || coalesce((SELECT string_agg(i.id || ':' || i.kind || ':' || (i.repaired_at IS NULL), ';' ORDER BY i.id)
                    FROM "{db.Schema}_rmk".drift_incident i WHERE projection_name = 'ts' AND row_key->>0 <> '{tenant}'), '')
            """) ?? "";
}
