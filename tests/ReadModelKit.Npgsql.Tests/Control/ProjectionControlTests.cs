using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Control;
using ReadModelKit.Npgsql.Health;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Sql;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Control;

public sealed class ProjectionControlTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    /// <summary>One simulated process: its own data source, projection instance, store and runner.</summary>
    private sealed record Node(NpgsqlDataSource DataSource, CaseListProjection Projection, NpgsqlReadModelStore Store, RunningRunner Running) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Running.DisposeAsync();
            await DataSource.DisposeAsync();
        }
    }

    private async Task<Node> StartNodeAsync(string projection, string nodeId, int partitions, FailurePolicy policy = FailurePolicy.DeadLetterAndContinue)
    {
        var dataSource = OutboxFixtures.DataSource(db, nodeId);
        var instance = new CaseListProjection(OutboxFixtures.Contract(projection, projection, policy: policy));
        var store = await OutboxFixtures.StoreAsync(db, dataSource, instance, projection + "_rm");
        return new Node(dataSource, instance, store, OutboxFixtures.Start(new ProjectionRunner(store, projection, OutboxFixtures.FastRunner(nodeId, partitions))));
    }

    /// <summary>Each partition's recorded state and checkpoint, as the runner nodes wrote them.</summary>
    private async Task<Dictionary<int, (string State, long Position)>> CheckpointsAsync(string projection)
    {
        await using var command = db.DataSource.CreateCommand($"SELECT partition_id, state, position FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = '{projection}' AND track = ''");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<int, (string, long)>();
        while (await reader.ReadAsync())
        {
            rows[reader.GetInt32(0)] = (reader.GetString(1), reader.GetInt64(2));
        }

        return rows;
    }

    private async Task<int> PartitionOfAsync(string key, int partitions) =>
        await db.ScalarAsync<int>($"SELECT mod(mod(hashtextextended('{key}', 0), {partitions}) + {partitions}, {partitions})::int4");

    private Task HoldingAsync(string projection, int partitions) =>
        Eventually.TrueAsync(
            async () => await db.ScalarAsync<long>($"SELECT count(DISTINCT owner) FROM \"{db.Schema}_rmk\".lease WHERE projection_name = '{projection}' AND expires_at > now()") == 2
                && await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".lease WHERE projection_name = '{projection}' AND expires_at > now()") == partitions,
            Converge,
            "both nodes hold partitions");

    [Fact]
    public async Task Pause_and_resume_of_a_projection_and_of_one_partition_are_obeyed_by_both_nodes()
    {
        const string projection = "ctl_pause";
        const int partitions = 4;
        var writer = await OutboxFixtures.NewProjectionAsync(db, projection);
        await using var a = await StartNodeAsync(projection, "ctl-a", partitions);
        await using var b = await StartNodeAsync(projection, "ctl-b", partitions);
        await HoldingAsync(projection, partitions);
        var all = Enumerable.Range(1, 12).Select(i => Upserted("t1", i, 1, "open")).ToList();
        await writer.Freshness.WaitForPositionAsync(projection, await OutboxFixtures.AppendAsync(writer, db.DataSource, projection, [.. all]), Converge);

        var paused = await writer.Control.PauseAsync(projection);
        await Eventually.TrueAsync(async () => (await CheckpointsAsync(projection)).Values.All(c => c.State == "Paused"), Converge, "every partition is recorded Paused by the node holding it");
        var second = Enumerable.Range(1, 12).Select(i => Upserted("t1", i, 2, "assigned")).ToList();
        var secondAt = await OutboxFixtures.AppendAsync(writer, db.DataSource, projection, [.. second]);
        all.AddRange(second);
        var status = await writer.Freshness.GetStatusAsync(projection);
        var health = await writer.Health.EvaluateAsync(projection);

        Assert.Equal([0, 1, 2, 3], paused);
        Assert.Equal(ProjectionState.Paused, status.State);
        Assert.Equal(ProjectionState.Paused, (await writer.Freshness.GetAsync(projection)).State);
        Assert.Equal(ProjectionHealth.Degraded, health.Health);
        Assert.All((await CheckpointsAsync(projection)).Values, c => Assert.True(c.Position < secondAt.Value, "a paused partition applied nothing"));

        var resumedOne = await writer.Control.ResumeAsync(projection, 2);
        await Eventually.TrueAsync(async () => (await CheckpointsAsync(projection))[2].Position >= secondAt.Value, Converge, "the resumed partition catches up");
        var afterOne = await CheckpointsAsync(projection);

        Assert.Equal([2], resumedOne);
        Assert.All(afterOne.Where(c => c.Key != 2), c => Assert.Equal(("Paused", true), (c.Value.State, c.Value.Position < secondAt.Value)));

        var resumedRest = await writer.Control.ResumeAsync(projection);
        await writer.Freshness.WaitForPositionAsync(projection, secondAt, Converge);

        Assert.Equal([0, 1, 3], resumedRest);
        Assert.Equal(OutboxFixtures.Reference(all), await ReadModelRows.ReadAsync(db.DataSource, projection + "_rm"));
        Assert.NotEqual(ProjectionState.Paused, (await writer.Freshness.GetStatusAsync(projection)).State);
    }

    [Fact]
    public async Task A_faulted_partition_restarts_on_request_once_its_cause_is_fixed_without_restarting_a_node()
    {
        const string projection = "ctl_restart";
        const int partitions = 2;
        var writer = await OutboxFixtures.NewProjectionAsync(db, projection, policy: FailurePolicy.Halt);
        await using var a = await StartNodeAsync(projection, "rst-a", partitions, FailurePolicy.Halt);
        await using var b = await StartNodeAsync(projection, "rst-b", partitions, FailurePolicy.Halt);
        a.Projection.FailuresLeft = b.Projection.FailuresLeft = int.MaxValue;
        await HoldingAsync(projection, partitions);
        var flaky = Envelope("Flaky", "t1", 7, 1, 0, null, new { tenant = "t1", @case = 7, status = "fixed" });
        var partition = await PartitionOfAsync(flaky.OrderingKey, partitions);
        var at = await OutboxFixtures.AppendAsync(writer, db.DataSource, projection, flaky);

        await Eventually.TrueAsync(async () => (await CheckpointsAsync(projection))[partition].State == "Faulted", Converge, "the partition of the failing event is Faulted");
        var notFaulted = await Assert.ThrowsAsync<ProjectionControlException>(() => writer.Control.RestartAsync(projection, 1 - partition));
        a.Projection.FailuresLeft = b.Projection.FailuresLeft = 0;
        var restarted = await writer.Control.RestartAsync(projection);
        await writer.Freshness.WaitForPositionAsync(projection, at, Converge);

        Assert.Equal([partition], restarted);
        Assert.StartsWith($"Partition {1 - partition} of projection '{projection}' is ", notFaulted.Message, StringComparison.Ordinal);
        Assert.EndsWith(", not Faulted, so there is nothing to restart. Restart applies to a partition halted by an error (store.Health.EvaluateAsync lists them); a paused one is resumed with ResumeAsync.", notFaulted.Message, StringComparison.Ordinal);
        Assert.Equal([new CaseRow("t1", 7, "fixed", null, 1, false)], await ReadModelRows.ReadAsync(db.DataSource, projection + "_rm"));
        Assert.True(a.Running.Runner.Status.Running && b.Running.Runner.Status.Running);
    }

    [Fact]
    public async Task Bad_requests_say_what_to_do()
    {
        var store = await OutboxFixtures.NewProjectionAsync(db, "ctl_errors");
        await OutboxFixtures.CreateTableAsync(db, "ctl_other_rm");

        var unknown = await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.PauseAsync("ctl_nope"));
        var badPartition = await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.PauseAsync("ctl_errors", 3));
        var notPaused = await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.ResumeAsync("ctl_errors", 0));
        var nothingPaused = await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.ResumeAsync("ctl_errors"));
        var nothingFaulted = await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.RestartAsync("ctl_errors"));
        var pausedTwice = (await store.Control.PauseAsync("ctl_errors", 0), await store.Control.PauseAsync("ctl_errors", 0));

        Assert.Equal("No projection named 'ctl_nope' is registered with this store (registered: ctl_errors). Check the name's spelling and case.", unknown.Message);
        Assert.Equal("Projection 'ctl_errors' has partitions 0 to 0; partition 3 does not exist. Name one of them, or none for the whole projection.", badPartition.Message);
        Assert.Equal((3, "ctl_errors"), (badPartition.Partition, badPartition.ProjectionName));
        Assert.Equal("Partition 0 of projection 'ctl_errors' is not paused, so there is nothing to resume. Pause it first with PauseAsync, or read its state with store.Freshness.GetStatusAsync(\"ctl_errors\").", notPaused.Message);
        Assert.Equal("No partition of projection 'ctl_errors' is paused, so there is nothing to resume. Pause it first with PauseAsync, or read its state with store.Freshness.GetStatusAsync(\"ctl_errors\").", nothingPaused.Message);
        Assert.Equal("No partition of projection 'ctl_errors' is Faulted, so there is nothing to restart. Restart applies to a partition halted by an error (store.Health.EvaluateAsync lists them); a paused one is resumed with ResumeAsync.", nothingFaulted.Message);
        Assert.Equal([0], pausedTwice.Item1);
        Assert.Equal([0], pausedTwice.Item2);
        Assert.Equal([0], await store.Control.ResumeAsync("ctl_errors"));
    }

    [Fact]
    public async Task The_partition_count_is_the_runners_one_and_one_before_any_runner_started()
    {
        var store = await OutboxFixtures.NewProjectionAsync(db, "ctl_count");
        var before = await store.Control.GetPartitionCountAsync("ctl_count");
        await new PartitionLeases(db.DataSource, SqlIdentifier.From(db.Schema + "_rmk", "schema"), "ctl_count", 3, "count-node", TimeSpan.FromSeconds(30)).EnsureAsync(default);
        var unknown = await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.GetPartitionCountAsync("ctl_nope"));

        Assert.Equal(1, before);
        Assert.Equal(3, await store.Control.GetPartitionCountAsync("ctl_count"));
        Assert.Equal([0, 1, 2], await store.Control.PauseAsync("ctl_count"));
        Assert.Equal("No projection named 'ctl_nope' is registered with this store (registered: ctl_count). Check the name's spelling and case.", unknown.Message);
        Assert.Null(unknown.Partition);
    }
}
