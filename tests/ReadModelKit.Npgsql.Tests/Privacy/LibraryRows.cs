using Npgsql;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Privacy;

/// <summary>Reads every row of every table in a fixture's library schema (<c>{schema}_rmk</c>), each row cast to text.</summary>
public static class LibraryRows
{
    public static async Task<List<(string Table, string Text)>> ReadAsync(PostgresSchemaFixture db)
    {
        var schema = db.Schema + "_rmk";
        var tables = new List<string>();
        await using (var list = db.DataSource.CreateCommand("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1"))
        {
            list.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("dead_letter", tables);
        Assert.Contains("drift_incident", tables);
        Assert.Contains("checkpoint", tables);
        var rows = new List<(string, string)>();
        foreach (var table in tables)
        {
            await using var select = db.DataSource.CreateCommand($"SELECT t::text FROM \"{schema}\".\"{table}\" AS t");
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((table, reader.GetString(0)));
            }
        }

        return rows;
    }
}
