using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class LeafComparerTests
{
    private static readonly Gen<Dictionary<int, long>> Side =
        Gen.ListOf(from k in Gen.Choose(1, 30) from h in Gen.Choose(0, 3) select (k, (long)h))
            .Select(rows => rows.DistinctBy(r => r.k).ToDictionary(r => r.k, r => r.Item2));

    [Fact]
    public void Classification_is_the_set_difference_of_keys_and_hashes()
    {
        Prop.ForAll(Side.ToArbitrary(), Side.ToArbitrary(), (expected, actual) =>
        {
            var found = LeafComparer.Compare(
                    expected.Select(e => (new RowKey(e.Key), e.Value)),
                    actual.Select(a => (new RowKey(a.Key), a.Value)))
                .Select(d => ((int)d.Key[0], d.Kind))
                .ToHashSet();
            var naive = expected.Keys.Union(actual.Keys)
                .Where(k => !expected.TryGetValue(k, out var e) || !actual.TryGetValue(k, out var a) || e != a)
                .Select(k => (k, !actual.ContainsKey(k) ? DriftKind.Missing : !expected.ContainsKey(k) ? DriftKind.Extra : DriftKind.Changed))
                .ToHashSet();
            Assert.True(naive.SetEquals(found), $"found {string.Join(",", found)} expected {string.Join(",", naive)}");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Composite_keys_compare_by_value()
    {
        var found = LeafComparer.Compare(
            [(new RowKey("t1", 1), 10L), (new RowKey("t1", 2), 20L)],
            [(new RowKey("t1", 1), 10L), (new RowKey("t1", 2), 21L), (new RowKey("t2", 1), 5L)]);
        Assert.Equal([(new RowKey("t1", 2), DriftKind.Changed), (new RowKey("t2", 1), DriftKind.Extra)], found);
    }
}
