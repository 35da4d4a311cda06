using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Apply;

/// <summary>The laws of BRIEF.md for the set-based apply, as FsCheck properties against a real PostgreSQL.</summary>
public sealed class ApplyLawsTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly Config Cases = Config.QuickThrowOnFailure.WithMaxTest(40);

    [Theory]
    [InlineData(IdempotencyMode.Inbox)]
    [InlineData(IdempotencyMode.VersionGuardOnly)]
    public async Task Any_permutation_batching_and_duplication_ends_in_the_reference_model(IdempotencyMode mode)
    {
        var law = await LawTable.CreateAsync(db, $"laws_any_{mode}".ToLowerInvariant(), mode);
        Check.One(Cases, Prop.ForAll(EventHistory.Any.ToArbitrary(), history => Run(async () =>
        {
            await law.ResetAsync();
            foreach (var batch in history.Batches())
            {
                await law.Applier.ApplyAsync(batch);
            }

            Assert.Equal(EventHistory.Reference(history.Events), await law.RowsAsync());
        })));
    }

    [Theory]
    [InlineData(IdempotencyMode.Inbox)]
    [InlineData(IdempotencyMode.VersionGuardOnly)]
    public async Task Applying_everything_twice_equals_applying_it_once(IdempotencyMode mode)
    {
        var law = await LawTable.CreateAsync(db, $"laws_twice_{mode}".ToLowerInvariant(), mode);
        Check.One(Cases, Prop.ForAll(EventHistory.Any.ToArbitrary(), history => Run(async () =>
        {
            await law.ResetAsync();
            foreach (var batch in history.Batches())
            {
                await law.Applier.ApplyAsync(batch);
            }

            var once = await law.RowsAsync();
            var secondPass = 0;
            foreach (var batch in history.Batches().Reverse())
            {
                var result = await law.Applier.ApplyAsync(batch);
                secondPass += mode == IdempotencyMode.Inbox ? result.Applied : 0;
            }

            Assert.Equal(0, secondPass);
            Assert.Equal(once, await law.RowsAsync());
        })));
    }

    [Fact]
    public async Task An_upsert_older_than_a_tombstone_never_shows_the_row()
    {
        var law = await LawTable.CreateAsync(db, "laws_tombstone", IdempotencyMode.Inbox);
        var input = from tombstone in Gen.Choose(2, 20)
                    from late in Gen.ListOf(Gen.Choose(1, tombstone - 1)).Where(l => l.Count > 0)
                    from split in Gen.Choose(1, 4)
                    select (tombstone, late: late.Distinct().ToArray(), split);
        Check.One(Cases, Prop.ForAll(input.ToArbitrary(), x => Run(async () =>
        {
            await law.ResetAsync();
            await law.Applier.ApplyAsync([CaseListProjection.Deleted("t1", 7, x.tombstone)]);
            foreach (var chunk in x.late.Select(v => CaseListProjection.Upserted("t1", 7, v, "resurrected")).Chunk(x.split))
            {
                await law.Applier.ApplyAsync(chunk);
            }

            Assert.Equal([new CaseRow("t1", 7, null, null, x.tombstone, true)], await law.RowsAsync());
        })));
    }

    [Fact]
    public async Task Checkpoint_mode_with_overlapping_redelivery_ends_in_the_reference_model_without_inbox_rows()
    {
        var law = await LawTable.CreateAsync(db, "laws_checkpoint", IdempotencyMode.Checkpoint);
        Check.One(Cases, Prop.ForAll(EventHistory.Ordered.ToArbitrary(), history => Run(async () =>
        {
            await law.ResetAsync();
            var checkpoint = ReadModelKit.Events.StreamPosition.Start;
            foreach (var batch in history.Batches())
            {
                checkpoint = (await law.Applier.ApplyAsync(batch, checkpoint, 0)).Checkpoint;
            }

            foreach (var start in history.Redeliveries)
            {
                // A source that lost its place re-sends from an earlier position: the stored checkpoint dedupes it.
                await law.Applier.ApplyAsync(history.Delivery.Skip(start).ToArray(), null, 0);
            }

            Assert.Equal(history.Delivery.Length, checkpoint.Value);
            Assert.Equal(EventHistory.Reference(history.Events), await law.RowsAsync());
            Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".inbox WHERE projection_name = '{law.Name}'"));
        })));
    }

    private static void Run(Func<Task> body) => Task.Run(body).GetAwaiter().GetResult();
}
