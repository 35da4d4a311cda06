using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>
/// The report's byte count covers every statement of a check, including the re-checks that confirm candidates, in both strategies:
/// a check that had to confirm its differences receives more than one that found the same differences caught up, and the more rows
/// it confirmed, the more more.
/// </summary>
public sealed class DriftBytesTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bytes_received_count_the_confirmation_and_grow_with_the_confirmed_rows(bool crossDatabase)
    {
        var prefix = crossDatabase ? "bytesx" : "bytess";
        await fx.ExecuteSourceAsync($"CREATE TABLE {prefix}_src (id int8, title text); INSERT INTO {prefix}_src SELECT i, 'title ' || i FROM generate_series(1, 400) i; ANALYZE {prefix}_src");
        await fx.ExecuteAsync($"CREATE TABLE {prefix}_rm (id int8 PRIMARY KEY, title text, version bigint NOT NULL DEFAULT 1, projected_at timestamptz, deleted_at timestamptz)");
        var store = await fx.StoreAsync((prefix, new ReadModelTableMapping { Table = prefix + "_rm", KeyColumns = ["id"], ValueColumns = ["title"], RecomputeSql = $"SELECT id, title FROM {fx.SourceTable(prefix + "_src")}" }));
        var drift = crossDatabase ? new DriftReconciler(store, fx.Source) : store.Drift;

        var extra = new List<long>();
        foreach (var drifted in new[] { 4, 80 })
        {
            await fx.ExecuteAsync($"TRUNCATE {prefix}_rm; INSERT INTO {prefix}_rm (id, title) SELECT i, CASE WHEN i <= {drifted} THEN 'wrong' ELSE 'title ' || i END FROM generate_series(1, 400) i; ANALYZE {prefix}_rm");
            var caughtUp = await drift.CheckAsync(prefix, Options());
            var calls = 0;
            var confirmed = await drift.CheckAsync(prefix, Options(o =>
            {
                // The first pass sees the projection behind (every difference a candidate); the re-check sees it caught up.
                o.SourcePosition = (_, _) => Task.FromResult(10L);
                o.ProjectionPosition = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1 ? 5L : 10L);
                o.CatchUpPollInterval = TimeSpan.FromMilliseconds(1);
            }));

            Assert.Equal((drifted, 0L, (long)drifted), (caughtUp.Changed, caughtUp.Candidates, confirmed.Candidates));
            Assert.Equal((long)drifted, confirmed.Changed);
            Assert.True(confirmed.BytesReceived > caughtUp.BytesReceived, $"{drifted} confirmed rows: {confirmed.BytesReceived} bytes, caught up {caughtUp.BytesReceived}");
            extra.Add(confirmed.BytesReceived - caughtUp.BytesReceived);
        }

        Assert.True(extra[1] > extra[0], $"the confirmation of 80 rows took {extra[1]} bytes, of 4 rows {extra[0]}");
    }
}
