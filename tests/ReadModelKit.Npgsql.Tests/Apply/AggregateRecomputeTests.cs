using System.Text.Json;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Tests.Apply;

/// <summary>Aggregate tables (seed 004 pattern 2): counts are recomputed from the source per affected key, never incremented.</summary>
public sealed class AggregateRecomputeTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private sealed class TaskCounterProjection(string name) : IProjection
    {
        public ProjectionContract Contract { get; } = new()
        {
            Name = name,
            Source = new ProjectionSource(SourceKind.BrokerTopic, "task-events"),
            OrderingScope = ["case_id"],
        };

        public IEnumerable<RowChange> Project(EventEnvelope envelope) =>
            [RowChange.Recompute(new RowKey(envelope.Payload.GetProperty("case").GetInt64()))];
    }

    private static EventEnvelope TaskEvent(string type, long caseId) => new()
    {
        EventId = Guid.NewGuid(),
        OrderingKey = caseId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Version = 1,
        Type = type,
        OccurredAt = DateTimeOffset.UnixEpoch,
        Payload = JsonSerializer.SerializeToElement(new { @case = caseId }),
    };

    [Theory]
    [InlineData("deleted_at")]
    [InlineData(null)]
    public async Task Duplicated_task_events_never_double_count_and_cases_without_tasks_disappear(string? tombstone)
    {
        var name = tombstone is null ? "counter_delete" : "counter_tombstone";
        await db.ExecuteAsync($"""
            CREATE TABLE {name}_task (task_id int PRIMARY KEY, case_id bigint NOT NULL, status text NOT NULL);
            CREATE TABLE {name} (case_id bigint PRIMARY KEY, open_task_count int, overdue_count int, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz);
            """);
        var projection = new TaskCounterProjection(name);
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        options.Map(name, new ReadModelTableMapping
        {
            Table = name,
            KeyColumns = ["case_id"],
            ValueColumns = ["open_task_count", "overdue_count"],
            TombstoneColumn = tombstone,
            RecomputeSql = $"SELECT case_id, count(*) FILTER (WHERE status IN ('OPEN', 'IN_PROGRESS'))::int AS open_task_count, 0 AS overdue_count FROM {name}_task GROUP BY case_id",
        });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, [projection], TimeProvider.System);
        await store.InitializeAsync();
        var applier = store.GetApplier(name);

        await db.ExecuteAsync($"INSERT INTO {name}_task VALUES (1, 10, 'OPEN'), (2, 10, 'OPEN'), (3, 20, 'DONE')");
        var added = new[] { TaskEvent("TaskAdded", 10), TaskEvent("TaskAdded", 10), TaskEvent("TaskAdded", 20) };
        var first = await applier.ApplyAsync([.. added, .. added]);
        await applier.ApplyAsync(added);

        Assert.Equal(2, first.RowsWritten);
        Assert.Equal("10:2:1|20:0:1", await CountsAsync(name));

        await db.ExecuteAsync($"UPDATE {name}_task SET status = 'DONE' WHERE task_id = 1; DELETE FROM {name}_task WHERE case_id = 20");
        var second = await applier.ApplyAsync([TaskEvent("TaskCompleted", 10), TaskEvent("TaskRemoved", 20), TaskEvent("TaskRemoved", 30)]);

        Assert.Equal(2, second.RowsWritten);
        Assert.Equal(tombstone is null ? "10:1:2" : "10:1:2|20:deleted:2", await CountsAsync(name));
    }

    [Fact]
    public async Task A_recompute_query_that_returns_the_version_writes_the_source_version()
    {
        const string name = "counter_sourced";
        await db.ExecuteAsync($"""
            CREATE TABLE {name}_case (case_id bigint PRIMARY KEY, open_tasks int NOT NULL, version bigint NOT NULL);
            CREATE TABLE {name} (case_id bigint PRIMARY KEY, open_task_count int, overdue_count int, version bigint NOT NULL, projected_at timestamptz, deleted_at timestamptz);
            INSERT INTO {name}_case VALUES (10, 2, 41), (20, 0, 7);
            """);
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        options.Map(name, new ReadModelTableMapping
        {
            Table = name,
            KeyColumns = ["case_id"],
            ValueColumns = ["open_task_count", "overdue_count"],
            RecomputeSql = $"SELECT case_id, open_tasks AS open_task_count, 0 AS overdue_count, version FROM {name}_case",
            RecomputeReturnsVersion = true,
        });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, [new TaskCounterProjection(name)], TimeProvider.System);
        await store.InitializeAsync();
        var applier = store.GetApplier(name);

        await applier.ApplyAsync([TaskEvent("TaskAdded", 10), TaskEvent("TaskAdded", 20)]);
        Assert.Equal("10:2:41|20:0:7", await CountsAsync(name));

        // Same values, version moved on (a change to a column the read model does not hold): the version follows the source.
        await db.ExecuteAsync($"UPDATE {name}_case SET version = 42 WHERE case_id = 10");
        var second = await applier.ApplyAsync([TaskEvent("TaskTouched", 10)]);

        Assert.Equal(1, second.RowsWritten);
        Assert.Equal("10:2:42|20:0:7", await CountsAsync(name));
    }

    private async Task<string?> CountsAsync(string table) =>
        await db.ScalarAsync<string>($"SELECT string_agg(case_id || ':' || CASE WHEN deleted_at IS NULL THEN open_task_count::text ELSE 'deleted' END || ':' || version, '|' ORDER BY case_id) FROM {table}");
}
