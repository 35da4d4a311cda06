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

    private static async Task<string> WorkMemAsync(NpgsqlConnection connection)
    {
        await using var show = connection.CreateCommand();
        show.CommandText = "SHOW work_mem";
        return (string)(await show.ExecuteScalarAsync())!;
    }
}
