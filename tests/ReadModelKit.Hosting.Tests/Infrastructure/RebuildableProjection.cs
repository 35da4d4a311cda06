using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Hosting.Tests.Infrastructure;

/// <summary>
/// A case-list projection that can be rebuilt by backfill: the read model <c>{name}_rm</c>, its canonical source <c>{name}_src</c>
/// (tenant_id, case_id, status, title, version) as the recompute query, and commands that change the source and append the matching
/// event to the outbox in one transaction, as an application does.
/// </summary>
public sealed class RebuildableProjection
{
    private static readonly ConcurrentDictionary<string, Lazy<Task>> Created = new();
    private readonly PostgresSchemaFixture _db;

    private RebuildableProjection(PostgresSchemaFixture db, string name)
    {
        _db = db;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The stable name readers query (the view once adopted).</summary>
    public string View => Name + "_rm";

    /// <summary>Creates the tables once per schema and name (test theories share them).</summary>
    public static async Task<RebuildableProjection> CreateOnceAsync(PostgresSchemaFixture db, string name)
    {
        await Created.GetOrAdd(db.Schema + "." + name, _ => new Lazy<Task>(() => CreateAsync(db, name))).Value;
        return new RebuildableProjection(db, name);
    }

    public static async Task<RebuildableProjection> CreateAsync(PostgresSchemaFixture db, string name)
    {
        await TestNode.CreateTablesAsync(db, name);
        await db.ExecuteAsync($"CREATE TABLE {name}_src (tenant_id text NOT NULL, case_id integer NOT NULL, status text, title text, version bigint NOT NULL, PRIMARY KEY (tenant_id, case_id))");
        return new RebuildableProjection(db, name);
    }

    /// <summary>A host running this projection (outbox stream = the name); the command line's rebuild settings come from <paramref name="rebuild"/>.</summary>
    public IHost Host(Action<RebuildOptions>? rebuild = null, RebuildMethod method = RebuildMethod.BackfillFromCanonicalTables)
    {
        var contract = TestNode.Contract(Name, Name) with { Rebuild = method };
        return TestNode.Builder(db: _db, contracts: [contract], library: "rb_" + Name, store: o =>
        {
            o.Map(Name, CaseListProjection.Mapping(View) with
            {
                RecomputeSql = $"SELECT tenant_id, case_id, status, title, version FROM {Name}_src",
                RecomputeReturnsVersion = true,
            });
            o.Rebuild.NodeId = "cli-test";
            rebuild?.Invoke(o.Rebuild);
        }).Build();
    }

    /// <summary>A started <see cref="Host"/> whose read model holds cases 1..<paramref name="cases"/> of tenant t1, applied by its runner.</summary>
    public async Task<IHost> RunningAsync(int cases, RebuildMethod method = RebuildMethod.BackfillFromCanonicalTables)
    {
        var host = Host(method: method);
        await host.StartAsync();
        await CommandAsync(host, "t1", Enumerable.Range(1, cases), 1, "open");
        await MatchesSourceAsync(View);
        return host;
    }

    /// <summary>Commands: cases <paramref name="cases"/> of <paramref name="tenant"/> get <paramref name="status"/> at <paramref name="version"/>, in the source and the outbox.</summary>
    public async Task CommandAsync(IHost host, string tenant, IEnumerable<int> cases, long version, string status)
    {
        var store = host.Services.GetRequiredService<NpgsqlReadModelStore>();
        await using var connection = await host.Services.GetRequiredService<ReadModelKitDataSource>().DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var events = new List<Events.EventEnvelope>();
        foreach (var caseId in cases)
        {
            await using var upsert = new global::Npgsql.NpgsqlCommand(
                $"INSERT INTO {Name}_src VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (tenant_id, case_id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version",
                connection,
                transaction);
            upsert.Parameters.AddWithValue(tenant);
            upsert.Parameters.AddWithValue(caseId);
            upsert.Parameters.AddWithValue(status);
            upsert.Parameters.AddWithValue(version);
            await upsert.ExecuteNonQueryAsync();
            events.Add(CaseListProjection.Upserted(tenant, caseId, version, status) with { OccurredAt = DateTimeOffset.UtcNow });
        }

        await store.Outbox.AppendAsync(connection, transaction, Name, events);
        await transaction.CommitAsync();
    }

    /// <summary>Waits until <paramref name="relation"/> holds the source's rows exactly (live rows, with status and version).</summary>
    public Task MatchesSourceAsync(string relation) =>
        Eventually.TrueAsync(async () => await LiveRowsAsync(relation) == await SourceRowsAsync(), TimeSpan.FromSeconds(30), $"{relation} matches {Name}_src");

    /// <summary>Live rows of <paramref name="relation"/> as "tenant/case:status@version", in key order.</summary>
    public async Task<string> LiveRowsAsync(string relation) =>
        await _db.ScalarAsync<string>($"SELECT coalesce(string_agg(tenant_id || '/' || case_id || ':' || status || '@' || version, ' ' ORDER BY tenant_id, case_id), '') FROM \"{relation}\" WHERE deleted_at IS NULL") ?? "";

    public async Task<string> SourceRowsAsync() =>
        await _db.ScalarAsync<string>($"SELECT coalesce(string_agg(tenant_id || '/' || case_id || ':' || status || '@' || version, ' ' ORDER BY tenant_id, case_id), '') FROM {Name}_src") ?? "";

    /// <summary>The table the stable view reads, or null while it is not a view.</summary>
    public Task<string?> ServedTableAsync() =>
        _db.ScalarAsync<string>($"SELECT t.relname::text FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class t ON t.oid = d.refobjid WHERE r.ev_class = to_regclass('\"{View}\"') AND d.refobjid <> r.ev_class AND t.relkind = 'r' LIMIT 1");

    public async Task<bool> ExistsAsync(string relation) => await _db.ScalarAsync<string>($"SELECT to_regclass('\"{relation}\"')::text") is not null;
}
