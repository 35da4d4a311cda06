using Npgsql;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>One row of a test case-list table, read back for assertions.</summary>
public sealed record CaseRow(string Tenant, int CaseId, string? Status, string? Title, long Version, bool Deleted);

public static class ReadModelRows
{
    public static async Task<List<CaseRow>> ReadAsync(NpgsqlDataSource dataSource, string table)
    {
        await using var command = dataSource.CreateCommand($"SELECT tenant_id, case_id, status, title, version, deleted_at IS NOT NULL FROM \"{table}\" ORDER BY tenant_id, case_id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<CaseRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new CaseRow(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4), reader.GetBoolean(5)));
        }

        return rows;
    }
}
