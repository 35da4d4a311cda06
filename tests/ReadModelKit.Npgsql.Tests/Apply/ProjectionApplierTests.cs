using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Apply;

public sealed class ProjectionApplierTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Duplicates_older_versions_and_late_upserts_after_a_tombstone_change_nothing()
    {
        var projection = new CaseListProjection(ContractFor("basic", IdempotencyMode.Inbox));
        var store = await StoreFactory.CreateAsync(db, projection, "basic_rm");
        var applier = store.GetApplier("basic");
        var opened = Upserted("t1", 1, 1, "open", "Fraud");
        var assigned = Upserted("t1", 1, 3, "assigned", "Fraud");

        var first = await applier.ApplyAsync([opened, assigned, Upserted("t1", 2, 1, "open")]);
        var again = await applier.ApplyAsync([opened, assigned, Upserted("t1", 1, 2, "stale")]);
        var deleted = await applier.ApplyAsync([Deleted("t1", 2, 5), Upserted("t1", 2, 4, "resurrected?")]);

        Assert.Equal((3, 3, 0, 2), (first.Received, first.Applied, first.Duplicates, first.RowsWritten));
        Assert.Equal((3, 1, 2, 0), (again.Received, again.Applied, again.Duplicates, again.RowsWritten));
        Assert.Equal((2, 2, 1), (deleted.Received, deleted.Applied, deleted.RowsWritten));
        Assert.Equal(
            [new CaseRow("t1", 1, "assigned", "Fraud", 3, false), new CaseRow("t1", 2, null, null, 5, true)],
            await ReadModelRows.ReadAsync(db.DataSource, "basic_rm"));
        Assert.Equal(6L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".inbox WHERE projection_name = 'basic'"));
    }
}
