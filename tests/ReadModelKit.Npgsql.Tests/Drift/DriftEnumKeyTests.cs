using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>Key columns of an enum type, which Npgsql reads only as whole strings, through both strategies.</summary>
public sealed class DriftEnumKeyTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Fact]
    public async Task Enum_keys_of_differing_rows_are_read_and_reported()
    {
        // Enum values arrive as strings that Npgsql cannot read character by character; the check must still count and report them.
        await fx.ExecuteSourceAsync("CREATE TYPE mood AS ENUM ('calm', 'glad', 'sad', 'tense'); CREATE TABLE mood_src (k mood PRIMARY KEY, v text); INSERT INTO mood_src VALUES ('calm', 'a'), ('glad', 'b'), ('sad', 'c')");
        await fx.ExecuteAsync($"CREATE TABLE mood_rm (k \"{fx.SourceSchema}\".mood PRIMARY KEY, v text, version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        await fx.ExecuteAsync($"INSERT INTO mood_rm (k, v) VALUES ('calm', 'a'), ('glad', 'wrong'), ('tense', 'd')");
        var store = await fx.StoreAsync(("mood", new ReadModelTableMapping { Table = "mood_rm", KeyColumns = ["k"], ValueColumns = ["v"], RecomputeSql = $"SELECT k, v FROM {fx.SourceTable("mood_src")}" }));

        foreach (var (strategy, drift) in new[] { ("same database", store.Drift), ("cross database", new DriftReconciler(store, fx.Source)) })
        {
            var report = await drift.CheckAsync("mood", Options(o => { o.SameDatabase.ChunkSize = 1; o.CrossDatabase.BlockSize = 1; }));
            Assert.True(report.Missing == 1 && report.Extra == 1 && report.Changed == 1 && report.BytesReceived > 0, $"{strategy}: missing {report.Missing}, extra {report.Extra}, changed {report.Changed}, bytes {report.BytesReceived}");
        }
    }
}
