using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>
/// A case-list projection over a canonical source table <c>{name}_src</c> (tenant_id, case_id, status, title, version): commands change the
/// source and hand the matching event to the applier, as an application with an outbox would. The source table is the oracle.
/// </summary>
public sealed class RebuildBed
{
    private readonly PostgresSchemaFixture _db;
    private readonly Dictionary<(string, int), long> _versions = [];

    private RebuildBed(PostgresSchemaFixture db, string name, NpgsqlReadModelStore store)
    {
        _db = db;
        Name = name;
        Store = store;
    }

    public string Name { get; }

    public NpgsqlReadModelStore Store { get; }

    public RebuildOrchestrator Rebuilds => Store.Rebuilds;

    public static ReadModelTableMapping Mapping(string name) => CaseListProjection.Mapping(name) with
    {
        RecomputeSql = $"SELECT tenant_id, case_id, status, title, version FROM {name}_src",
        RecomputeReturnsVersion = true,
    };

    public static async Task<RebuildBed> CreateAsync(PostgresSchemaFixture db, string name, Action<RebuildOptions>? rebuild = null, Func<ReadModelTableMapping, ReadModelTableMapping>? mapping = null, RebuildMethod method = RebuildMethod.BackfillFromCanonicalTables, string? nodeId = null, bool createTables = true, ILoggerFactory? loggers = null)
    {
        if (createTables)
        {
            await db.ExecuteAsync($"CREATE TABLE {name}_src (tenant_id text NOT NULL, case_id integer NOT NULL, status text, title text, version bigint NOT NULL, PRIMARY KEY (tenant_id, case_id))");
        }

        var store = await StoreAsync(db, name, rebuild, mapping, method, nodeId, createTables, loggers);
        return new RebuildBed(db, name, store);
    }

    /// <summary>Another node's store over the same tables (for crash, resume and lease tests).</summary>
    public async Task<RebuildOrchestrator> OtherNodeAsync(string nodeId, Action<RebuildOptions>? rebuild = null) =>
        (await StoreAsync(_db, Name, o => { rebuild?.Invoke(o); o.NodeId = nodeId; }, null, RebuildMethod.BackfillFromCanonicalTables, nodeId, createTable: false, loggers: null)).Rebuilds;

    private static async Task<NpgsqlReadModelStore> StoreAsync(PostgresSchemaFixture db, string name, Action<RebuildOptions>? rebuild, Func<ReadModelTableMapping, ReadModelTableMapping>? mapping, RebuildMethod method, string? nodeId, bool createTable, ILoggerFactory? loggers)
    {
        var contract = CaseListProjection.ContractFor(name, IdempotencyMode.Inbox) with { Rebuild = method };
        return await StoreFactory.CreateAsync(db, new CaseListProjection(contract), name, createTable ? CaseListProjection.TableSql : null, o =>
        {
            o.Mappings[name] = (mapping ?? (m => m))(Mapping(name));
            o.Rebuild.NodeId = nodeId ?? "node-a";
            rebuild?.Invoke(o.Rebuild);
        }, loggers: loggers);
    }

    /// <summary>Seeds <paramref name="count"/> cases in the source and the read model (one event each), versions 1.</summary>
    public async Task SeedAsync(int count, string tenant = "t1")
    {
        for (var start = 0; start < count; start += 500)
        {
            var events = new List<Events.EventEnvelope>();
            for (var i = start; i < Math.Min(count, start + 500); i++)
            {
                events.Add(await SourceUpsertAsync(tenant, i, $"s{i}"));
            }

            await Store.GetApplier(Name).ApplyAsync(events);
        }
    }

    /// <summary>A command: changes the source row and applies its event.</summary>
    public async Task UpsertAsync(string tenant, int caseId, string status) =>
        await Store.GetApplier(Name).ApplyAsync([await SourceUpsertAsync(tenant, caseId, status)]);

    /// <summary>A command deleting a case: removes the source row and applies a tombstone.</summary>
    public async Task DeleteAsync(string tenant, int caseId)
    {
        var version = Next(tenant, caseId);
        await _db.ExecuteAsync($"DELETE FROM {Name}_src WHERE tenant_id = '{tenant}' AND case_id = {caseId}");
        await Store.GetApplier(Name).ApplyAsync([CaseListProjection.Deleted(tenant, caseId, version)]);
    }

    /// <summary>Changes the source row only (the event is returned, to be applied later or never).</summary>
    public async Task<Events.EventEnvelope> SourceUpsertAsync(string tenant, int caseId, string status, long? version = null)
    {
        version ??= Next(tenant, caseId);
        await _db.ExecuteAsync($"""
            INSERT INTO {Name}_src VALUES ('{tenant}', {caseId}, '{status}', 'title {caseId}', {version})
            ON CONFLICT (tenant_id, case_id) DO UPDATE SET status = EXCLUDED.status, title = EXCLUDED.title, version = EXCLUDED.version
            """);
        return CaseListProjection.Upserted(tenant, caseId, version.Value, status, $"title {caseId}");
    }

    public long Next(string tenant, int caseId)
    {
        lock (_versions)
        {
            var next = _versions.GetValueOrDefault((tenant, caseId)) + 1;
            _versions[(tenant, caseId)] = next;
            return next;
        }
    }

    /// <summary>Live rows of a relation as "tenant/case:status@version", sorted; tombstones as "tenant/case:deleted@version".</summary>
    public async Task<string> RowsAsync(string relation) =>
        await _db.ScalarAsync<string>($"SELECT coalesce(string_agg(tenant_id || '/' || case_id || ':' || CASE WHEN deleted_at IS NULL THEN status ELSE 'deleted' END || '@' || version, ' ' ORDER BY tenant_id, case_id), '') FROM \"{relation}\"") ?? "";

    /// <summary>What the read model should hold per the source: every source row, plus tombstones for deleted keys are ignored (live rows only).</summary>
    public async Task<string> ExpectedLiveAsync() =>
        await _db.ScalarAsync<string>($"SELECT coalesce(string_agg(tenant_id || '/' || case_id || ':' || status || '@' || version, ' ' ORDER BY tenant_id, case_id), '') FROM {Name}_src") ?? "";

    /// <summary>Live rows only.</summary>
    public async Task<string> LiveRowsAsync(string relation) =>
        await _db.ScalarAsync<string>($"SELECT coalesce(string_agg(tenant_id || '/' || case_id || ':' || status || '@' || version, ' ' ORDER BY tenant_id, case_id), '') FROM \"{relation}\" WHERE deleted_at IS NULL") ?? "";

    public Task<string?> RelKindAsync(string relation) => _db.ScalarAsync<string>($"SELECT relkind::text FROM pg_class WHERE oid = to_regclass('\"{relation}\"')");

    /// <summary>Runs a reader loop with a prepared statement over the stable name until stopped; records errors and per-key versions seen.</summary>
    public ReaderLoop StartReader(int caseId, string tenant = "t1") => new(_db.ConnectionString, Name, tenant, caseId);
}

/// <summary>A reader querying one key of the stable view in a loop with a prepared statement.</summary>
public sealed class ReaderLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _reads;

    public ReaderLoop(string connectionString, string view, string tenant, int caseId)
    {
        _loop = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT status, version FROM \"{view}\" WHERE tenant_id = $1 AND case_id = $2", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = caseId });
            await command.PrepareAsync();
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var version = await ReadVersionAsync(command);
                    lock (Versions)
                    {
                        Versions.Add(version);
                    }

                    Interlocked.Increment(ref _reads);
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or InvalidCastException)
                {
                    lock (Errors)
                    {
                        Errors.Add(ex.Message);
                    }
                }
            }
        });
    }

    public List<string> Errors { get; } = [];

    /// <summary>Versions seen, in order (-1: no row).</summary>
    public List<long> Versions { get; } = [];

    public long Reads => Interlocked.Read(ref _reads);

    private static async Task<long> ReadVersionAsync(NpgsqlCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? reader.GetInt64(1) : -1;
    }

    /// <summary>Waits until this loop has done <paramref name="more"/> reads beyond now.</summary>
    public Task ReadMoreAsync(int more)
    {
        var target = Reads + more;
        return Eventually.TrueAsync(() => Reads >= target || _loop.IsCompleted, TimeSpan.FromSeconds(30), $"the reader did {more} more reads");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>Reports on the calling thread, synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SyncProgress(Action<RebuildProgress> report) : IProgress<RebuildProgress>
{
    public void Report(RebuildProgress value) => report(value);
}
