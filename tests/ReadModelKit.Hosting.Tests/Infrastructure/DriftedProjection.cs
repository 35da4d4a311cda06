using System.Collections.Concurrent;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Infrastructure;

/// <summary>
/// A case-list projection whose table drifted from its source <c>{name}_src</c> (its recompute query): in tenant t1, case 2
/// changed, case 3 missing, case 9 extra; tenant t2 matches.
/// </summary>
public static class DriftedProjection
{
    private static readonly ConcurrentDictionary<string, Lazy<Task>> Created = new();

    /// <summary>Creates the drifted tables once per schema and name (test theories share them).</summary>
    public static Task CreateAsync(PostgresSchemaFixture db, string name) =>
        Created.GetOrAdd(db.Schema + "." + name, _ => new Lazy<Task>(async () =>
        {
            await TestNode.CreateTablesAsync(db, name);
            await db.ExecuteAsync($"""
                CREATE TABLE {name}_src (tenant_id text, case_id integer, status text, title text, PRIMARY KEY (tenant_id, case_id));
                INSERT INTO {name}_src VALUES ('t1', 1, 'open', 'a'), ('t1', 2, 'open', 'b'), ('t1', 3, 'open', 'c'), ('t2', 1, 'open', 'd'), ('t2', 2, 'closed', 'e');
                INSERT INTO {name}_rm (tenant_id, case_id, status, title, version, projected_at) VALUES
                    ('t1', 1, 'open', 'a', 1, now()), ('t1', 2, 'closed', 'b', 1, now()), ('t2', 1, 'open', 'd', 1, now()),
                    ('t2', 2, 'closed', 'e', 1, now()), ('t1', 9, 'open', 'z', 1, now());
                """);
        })).Value;

    /// <summary>The mapping of <paramref name="name"/> with its recompute query.</summary>
    public static ReadModelTableMapping Mapping(string name) => new()
    {
        Table = name + "_rm",
        KeyColumns = ["tenant_id", "case_id"],
        ValueColumns = ["status", "title"],
        RecomputeSql = $"SELECT tenant_id, case_id, status, title FROM {name}_src",
    };
}
