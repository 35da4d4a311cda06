using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Apply;

/// <summary>
/// <see cref="Npgsql.Apply.ApplierOptions.PrepareStatements"/>: the batch statement is prepared once per physical connection
/// and reused (PostgreSQL switches to a generic plan after five executions), without changing what a batch writes.
/// </summary>
public sealed class PreparedApplyStatementTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Theory]
    [InlineData(true, IdempotencyMode.Inbox)]
    [InlineData(false, IdempotencyMode.Inbox)]
    [InlineData(true, IdempotencyMode.Checkpoint)]
    [InlineData(false, IdempotencyMode.Checkpoint)]
    public async Task Prepared_or_not_eight_batches_with_duplicates_reordering_and_tombstones_end_in_the_same_rows(bool prepare, IdempotencyMode mode)
    {
        var name = $"prep_{(prepare ? "on" : "off")}_{mode.ToString().ToLowerInvariant()}";
        await db.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, TableSql, $"\"{name}\""));

        // One physical connection, so every batch runs on the connection whose prepared statements we inspect.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var projection = new CaseListProjection(ContractFor(name, mode));
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        options.Map(name, CaseListProjection.Mapping(name));
        options.Apply.PrepareStatements = prepare;
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [projection], TimeProvider.System);
        await store.InitializeAsync();
        var applier = store.GetApplier(name);

        var checkpoint = StreamPosition.Start;
        for (var batch = 0; batch < 8; batch++)
        {
            // Each batch: case 1 moves to version batch+1; case 2 gets an older version after a newer one; from batch 4 case 3 is tombstoned
            // and gets a late older upsert; the previous batch's first event is delivered again (a duplicate in inbox mode).
            var position = batch * 10L;
            List<EventEnvelope> events =
            [
                Upserted("t1", 1, batch + 1, $"status-{batch}", position: position + 1, id: Id(batch, 1)),
                Upserted("t1", 2, (2 * batch) + 2, "newer", position: position + 2, id: Id(batch, 2)),
                Upserted("t1", 2, (2 * batch) + 1, "older", position: position + 3, id: Id(batch, 3)),
                batch >= 4 ? Deleted("t1", 3, 100 + batch, position: position + 4, id: Id(batch, 4)) : Upserted("t1", 3, batch + 1, "open", position: position + 4, id: Id(batch, 4)),
                Upserted("t1", 3, batch + 2, "late", position: position + 5, id: Id(batch, 5)),
            ];
            if (mode == IdempotencyMode.Inbox && batch > 0)
            {
                events.Add(Upserted("t1", 1, batch, $"status-{batch - 1}", position: position - 9, id: Id(batch - 1, 1)));
            }

            var result = mode == IdempotencyMode.Checkpoint
                ? await applier.ApplyAsync(events, checkpoint, 0)
                : await applier.ApplyAsync(events);
            checkpoint = result.Checkpoint;
            Assert.Equal(5, result.Applied);
        }

        Assert.Equal(
            [
                new CaseRow("t1", 1, "status-7", null, 8, false),
                new CaseRow("t1", 2, "newer", null, 16, false),
                new CaseRow("t1", 3, null, null, 107, true),
            ],
            await ReadModelRows.ReadAsync(dataSource, name));
        await using var count = dataSource.CreateCommand($"SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%{db.Schema}_rmk\".checkpoint%' AND statement LIKE '%{name}%'");
        Assert.Equal(prepare ? 1L : 0L, (long)(await count.ExecuteScalarAsync())!);
    }

    private static Guid Id(int batch, int item) => new(batch * 100 + item, 0, 0, new byte[8]);
}
