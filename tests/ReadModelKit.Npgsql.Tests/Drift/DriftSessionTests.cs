using Npgsql;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Npgsql.Tests.Drift;

public sealed class DriftSessionTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    [Theory]
    [InlineData("4MB", "64MB")]
    [InlineData("1GB", "1GB")]
    public async Task A_check_transaction_raises_work_mem_for_its_sorts_but_never_lowers_it(string before, string during)
    {
        await using var connection = await fx.ReadModel.OpenConnectionAsync();
        await using (var set = connection.CreateCommand())
        {
            set.CommandText = $"SET work_mem = '{before}'";
            await set.ExecuteNonQueryAsync();
        }

        await using (var transaction = await DriftSession.BeginSnapshotAsync(connection, fixedTextSettings: true, CancellationToken.None))
        {
            Assert.Equal(during, await WorkMemAsync(connection));
            await transaction.RollbackAsync();
        }

        Assert.Equal(before, await WorkMemAsync(connection));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(5, "5")]
    [InlineData(null, "3")]
    public async Task A_check_transaction_sets_the_parallel_worker_limit_only_for_itself(int? workers, string during)
    {
        await using var connection = await fx.ReadModel.OpenConnectionAsync();
        await using (var set = connection.CreateCommand())
        {
            set.CommandText = "SET max_parallel_workers_per_gather = 3";
            await set.ExecuteNonQueryAsync();
        }

        await using (var transaction = await DriftSession.BeginSnapshotAsync(connection, fixedTextSettings: true, CancellationToken.None, parallelWorkers: workers))
        {
            Assert.Equal(during, await ShowAsync(connection, "max_parallel_workers_per_gather"));
            await transaction.RollbackAsync();
        }

        Assert.Equal("3", await ShowAsync(connection, "max_parallel_workers_per_gather"));
    }

    private static Task<string> WorkMemAsync(NpgsqlConnection connection) => ShowAsync(connection, "work_mem");

    private static async Task<string> ShowAsync(NpgsqlConnection connection, string setting)
    {
        await using var show = connection.CreateCommand();
        show.CommandText = $"SHOW {setting}";
        return (string)(await show.ExecuteScalarAsync())!;
    }
}
