using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;
using static ReadModelKit.Npgsql.Tests.Drift.DriftCases;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>
/// Keys whose hashes fold to 32 bits share a key identity with other keys: timestamp <c>m</c> microseconds after 2000-01-01 and
/// <c>m # (2^32 + 1)</c> hash alike. Rows sharing an identity with rows of their side must still be told apart by the leaf merge.
/// </summary>
public sealed class DriftIdentityCollisionTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    private const string At = "timestamp '2000-01-01' + ({0} * interval '1 microsecond')";

    [Theory]
    [InlineData("idm", true)]
    [InlineData("ide", false)]
    public async Task A_key_sharing_its_identity_with_a_key_of_equal_values_is_reported(string name, bool missing)
    {
        // 2,000 keys a second apart; partners of every hundredth key (same identity, same value) live on one side only.
        var keys = $"SELECT {string.Format(At, "g * 1000000::int8")} AS k FROM generate_series(1, 2000) g";
        var partners = $"SELECT {string.Format(At, "((g * 1000000::int8) # 4294967297)")} AS k FROM generate_series(100, 2000, 100) g";
        await fx.ExecuteSourceAsync($"CREATE TABLE {name}_src (k timestamp PRIMARY KEY, v text); INSERT INTO {name}_src SELECT k, 'v' FROM ({(missing ? $"{partners} UNION ALL {keys}" : keys)}) s");
        await fx.ExecuteAsync($"CREATE TABLE {name}_rm (k timestamp PRIMARY KEY, v text, version bigint NOT NULL DEFAULT 1, projected_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)");
        await fx.ExecuteAsync($"INSERT INTO {name}_rm (k, v) SELECT k, 'v' FROM ({(missing ? keys : $"{partners} UNION ALL {keys}")}) s; ANALYZE {name}_rm");
        var store = await fx.StoreAsync((name, new ReadModelTableMapping { Table = name + "_rm", KeyColumns = ["k"], ValueColumns = ["v"], RecomputeSql = $"SELECT k, v FROM {fx.SourceTable(name + "_src")}" }));
        Assert.Equal(
            await fx.ScalarAsync<long>($"SELECT timestamp_hash_extended({string.Format(At, "100000000::int8")}, 1)"),
            await fx.ScalarAsync<long>($"SELECT timestamp_hash_extended({string.Format(At, "(100000000::int8 # 4294967297)")}, 1)"));

        foreach (var (strategy, drift) in new[] { ("same database", store.Drift), ("cross database", new DriftReconciler(store, fx.Source)) })
        {
            foreach (var chunk in new[] { 64, 1 })
            {
                var report = await drift.CheckAsync(name, Options(o => { o.SameDatabase.ChunkSize = chunk; o.CrossDatabase.BlockSize = chunk; }));
                Assert.True(
                    (missing ? report.Missing : report.Extra) == 20 && report.Changed == 0 && (missing ? report.Extra : report.Missing) == 0,
                    $"{strategy}, chunk {chunk}: missing {report.Missing}, extra {report.Extra}, changed {report.Changed}");
            }
        }
    }
}
