using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>Helpers for outbox-fed projections: contracts, stores on their own data sources (one per simulated node), appends, references.</summary>
public static class OutboxFixtures
{
    public static ProjectionContract Contract(string name, string stream, IdempotencyMode mode = IdempotencyMode.Checkpoint, FailurePolicy policy = FailurePolicy.DeadLetterAndContinue, FreshnessContract? freshness = null) =>
        CaseListProjection.ContractFor(name, mode, policy) with
        {
            Source = new ProjectionSource(SourceKind.Outbox, stream),
            Freshness = freshness ?? FreshnessContract.Default,
        };

    /// <summary>A data source on the fixture's schema whose backends carry <paramref name="applicationName"/> (to find and kill them).</summary>
    public static NpgsqlDataSource DataSource(PostgresSchemaFixture db, string applicationName) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { ApplicationName = applicationName }.ConnectionString);

    /// <summary>A store on <paramref name="dataSource"/>, for a table that already exists (create it with <see cref="CreateTableAsync"/>).</summary>
    public static async Task<NpgsqlReadModelStore> StoreAsync(PostgresSchemaFixture db, NpgsqlDataSource dataSource, IProjection projection, string table, TimeProvider? time = null)
    {
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        options.Map(projection.Contract.Name, CaseListProjection.Mapping(table));
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(dataSource), options, [projection], time ?? TimeProvider.System);
        await store.InitializeAsync();
        return store;
    }

    /// <summary>Creates the table <c>{name}_rm</c> and a store on the fixture's data source for a case-list projection named <paramref name="name"/> reading <paramref name="stream"/> (default: the name).</summary>
    public static async Task<NpgsqlReadModelStore> NewProjectionAsync(
        PostgresSchemaFixture db, string name, string? stream = null, IdempotencyMode mode = IdempotencyMode.Checkpoint,
        FailurePolicy policy = FailurePolicy.DeadLetterAndContinue, FreshnessContract? freshness = null, TimeProvider? time = null)
    {
        await CreateTableAsync(db, name + "_rm");
        return await StoreAsync(db, db.DataSource, new CaseListProjection(Contract(name, stream ?? name, mode, policy, freshness)), name + "_rm", time);
    }

    public static Task CreateTableAsync(PostgresSchemaFixture db, string table) =>
        db.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, CaseListProjection.TableSql, $"\"{table}\""));

    /// <summary>Appends <paramref name="events"/> in one committed transaction and returns its position token.</summary>
    public static async Task<StreamPosition> AppendAsync(NpgsqlReadModelStore store, NpgsqlDataSource dataSource, string stream, params EventEnvelope[] events)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var token = await store.Outbox.AppendAsync(connection, transaction, stream, events);
        await transaction.CommitAsync();
        return token;
    }

    /// <summary>Runner options for tests: short leases and waits.</summary>
    public static ProjectionRunnerOptions FastRunner(string nodeId, int partitions = 1, int batchSize = 100) => new()
    {
        NodeId = nodeId,
        PartitionCount = partitions,
        BatchSize = batchSize,
        MinIdleDelay = TimeSpan.FromMilliseconds(10),
        MaxIdleDelay = TimeSpan.FromMilliseconds(200),
        LeaseDuration = TimeSpan.FromSeconds(3),
        HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        IdleCheckpointInterval = TimeSpan.FromMilliseconds(200),
        ControlPollInterval = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>What the case-list table must hold after <paramref name="events"/> (any order): per key the highest version wins; a delete tombstones.</summary>
    public static List<CaseRow> Reference(IEnumerable<EventEnvelope> events) =>
        events
            .GroupBy(e => (Tenant: e.Payload.GetProperty("tenant").GetString()!, Case: e.Payload.GetProperty("case").GetInt32()))
            .Select(g =>
            {
                var last = g.OrderByDescending(e => e.Version).ThenByDescending(e => e.Type == "CaseDeleted").First();
                return last.Type == "CaseDeleted"
                    ? new CaseRow(g.Key.Tenant, g.Key.Case, null, null, last.Version, true)
                    : new CaseRow(g.Key.Tenant, g.Key.Case, last.Payload.GetProperty("status").GetString(), null, last.Version, false);
            })
            .OrderBy(r => r.Tenant, StringComparer.Ordinal).ThenBy(r => r.CaseId)
            .ToList();

    /// <summary>Runs <paramref name="runner"/> in the background; dispose the handle to stop it and observe its end.</summary>
    public static RunningRunner Start(ProjectionRunner runner) => new(runner);
}

public sealed class RunningRunner : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public RunningRunner(ProjectionRunner runner)
    {
        Runner = runner;
        Task = Task.Run(() => runner.RunAsync(_stop.Token));
    }

    public ProjectionRunner Runner { get; }

    public Task Task { get; }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
