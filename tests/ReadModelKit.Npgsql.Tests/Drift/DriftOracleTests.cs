using ReadModelKit.Npgsql.Drift;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>
/// The drift oracle law: whatever the data and whatever the chunk size, block size, fan-out and leaf threshold, detection returns exactly
/// the naive FULL OUTER JOIN difference as a set of (key, kind), in the same database and across databases, with both row hashes.
/// </summary>
public sealed class DriftOracleTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    private static readonly Gen<(DriftCase Case, int Chunk, int Block, int FanOut, int Leaf)> Cases =
        from c in DriftCases.Case
        from chunk in Gen.Choose(1, 40)
        from block in Gen.Choose(2, 40)
        from fanOut in Gen.Choose(2, 6)
        from leaf in Gen.Choose(1, 12)
        select (c, chunk, block, fanOut, leaf);

    [Fact]
    public async Task Detection_equals_the_naive_full_outer_join_difference_in_every_strategy()
    {
        var store = await CreateAsync(fx, "oracle");
        var crossDatabase = new DriftReconciler(store, fx.Source);
        var checkedCases = 0;
        var nonEmpty = 0;
        Prop.ForAll(Cases.ToArbitrary(), input =>
        {
            var (c, chunk, block, fanOut, leaf) = input;
            LoadAsync(fx, "oracle", c).GetAwaiter().GetResult();
            var oracle = OracleAsync(fx, "oracle", c.Composite).GetAwaiter().GetResult();
            var projection = Projection("oracle", c);
            var same = store.Drift.CheckAsync(projection, Options(o => { o.SameDatabase.ChunkSize = chunk; })).GetAwaiter().GetResult();
            var sameJoined = store.Drift.CheckAsync(projection, Options(o => { o.SameDatabase.ChunkSize = chunk; o.SameDatabase.ChunkRowsLimit = 0; })).GetAwaiter().GetResult();
            var binary = crossDatabase.CheckAsync(projection, Options(o => { o.CrossDatabase.BlockSize = block; o.CrossDatabase.FanOut = fanOut; o.CrossDatabase.LeafThreshold = leaf; o.CrossDatabase.RowHash = DriftRowHash.Binary; })).GetAwaiter().GetResult();
            var text = crossDatabase.CheckAsync(projection, Options(o => { o.CrossDatabase.BlockSize = block + 3; o.CrossDatabase.FanOut = fanOut + 1; o.CrossDatabase.LeafThreshold = leaf + 2; o.CrossDatabase.RowHash = DriftRowHash.CanonicalText; })).GetAwaiter().GetResult();
            foreach (var (name, report) in new[] { ("same database", same), ("same database, one join of the differing chunks", sameJoined), ("cross database, binary hash", binary), ("cross database, canonical text", text) })
            {
                var found = Found(report);
                Assert.True(
                    found.SetEquals(oracle),
                    $"{name} found [{Describe(found)}] but the oracle says [{Describe(oracle)}] for {c}");
                Assert.Equal(oracle.Count == 0, report.Clean);
                Assert.Equal(oracle.Count(o => o.Kind == DriftKind.Missing), report.Missing);
                Assert.Equal(c.ReadModel.Count(m => !m.Tombstoned) + report.Missing, report.CheckedRows);
            }

            Assert.Equal(DriftRowHash.Binary, binary.RowHash);
            Assert.Equal(DriftRowHash.CanonicalText, text.RowHash);
            checkedCases++;
            nonEmpty += oracle.Count > 0 ? 1 : 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60).WithEndSize(60));
        Assert.True(nonEmpty >= checkedCases / 4, $"only {nonEmpty} of {checkedCases} generated cases had drift: the generator is too tame");
    }

    [Fact]
    public async Task The_result_does_not_depend_on_chunk_block_fan_out_or_leaf_sizes()
    {
        var store = await CreateAsync(fx, "inv");
        var crossDatabase = new DriftReconciler(store, fx.Source);
        Prop.ForAll(DriftCases.Case.ToArbitrary(), c =>
        {
            LoadAsync(fx, "inv", c).GetAwaiter().GetResult();
            var projection = Projection("inv", c);
            var results = new List<(string Name, HashSet<(Changes.RowKey, DriftKind)> Found)>();
            foreach (var chunk in new[] { 1, 3, 1000 })
            {
                results.Add(($"chunk {chunk}", Found(store.Drift.CheckAsync(projection, Options(o => o.SameDatabase.ChunkSize = chunk)).GetAwaiter().GetResult())));
            }

            foreach (var (block, fanOut, leaf) in new[] { (2, 2, 1), (5, 3, 4), (1000, 16, 1000), (3, 16, 1) })
            {
                results.Add(($"block {block}, fan-out {fanOut}, leaf {leaf}", Found(crossDatabase.CheckAsync(projection, Options(o => { o.CrossDatabase.BlockSize = block; o.CrossDatabase.FanOut = fanOut; o.CrossDatabase.LeafThreshold = leaf; })).GetAwaiter().GetResult())));
            }

            foreach (var (name, found) in results.Skip(1))
            {
                Assert.True(found.SetEquals(results[0].Found), $"{name} found [{Describe(found)}] but {results[0].Name} found [{Describe(results[0].Found)}] for {c}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(30).WithEndSize(60));
    }
}
