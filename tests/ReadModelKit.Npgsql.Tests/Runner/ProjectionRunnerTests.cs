using System.Collections.Concurrent;
using System.Diagnostics;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Runner;

public sealed class ProjectionRunnerTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private async Task<NpgsqlReadModelStore> StoreAsync(string name, IdempotencyMode mode = IdempotencyMode.Checkpoint, FailurePolicy policy = FailurePolicy.DeadLetterAndContinue)
    {
        return await OutboxFixtures.NewProjectionAsync(db, name, mode: mode, policy: policy);
    }

    private Task<string?> StateAsync(string projection, int partition = 0) =>
        db.ScalarAsync<string>($"SELECT state FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = '{projection}' AND partition_id = {partition}");

    [Fact]
    public async Task The_runner_projects_committed_commands_reports_each_batch_and_goes_live()
    {
        var store = await StoreAsync("basic_run");
        var runner = new ProjectionRunner(store, "basic_run", OutboxFixtures.FastRunner("node-1"));
        var batches = new ConcurrentQueue<BatchAppliedEventArgs>();
        runner.BatchApplied += (_, e) => batches.Enqueue(e);
        await using (var running = OutboxFixtures.Start(runner))
        {
            await OutboxFixtures.AppendAsync(store, db.DataSource, "basic_run", Upserted("t1", 1, 1, "open"), Upserted("t1", 2, 1, "open"));
            var last = await OutboxFixtures.AppendAsync(store, db.DataSource, "basic_run", Upserted("t1", 1, 2, "assigned"), Deleted("t1", 2, 2));

            await store.Freshness.WaitForPositionAsync("basic_run", last, Converge);
            await Eventually.TrueAsync(async () => await StateAsync("basic_run") == "Live", Converge, "the partition is recorded Live");

            Assert.Equal([new CaseRow("t1", 1, "assigned", null, 2, false), new CaseRow("t1", 2, null, null, 2, true)], await ReadModelRows.ReadAsync(db.DataSource, "basic_run_rm"));
            Assert.Equal(4, runner.Status.EventsApplied);
            Assert.Equal([0], runner.Status.Owned.Select(l => l.Partition));
            Assert.True(runner.Status.Running);
            Assert.Equal(4, batches.Sum(b => b.Result.Applied));
            Assert.Contains(batches, b => b.To == last);
        }

        Assert.False(runner.Status.Running);
        Assert.Null(await db.ScalarAsync<string>($"SELECT owner FROM \"{db.Schema}_rmk\".lease WHERE projection_name = 'basic_run'"));
    }

    [Fact]
    public async Task Gap_safety_under_concurrent_writers_committing_in_random_order_every_committed_event_is_applied_exactly_once()
    {
        var store = await StoreAsync("gaps");
        var runner = new ProjectionRunner(store, "gaps", OutboxFixtures.FastRunner("gap-node", batchSize: 7));
        var committed = new ConcurrentBag<EventEnvelope>();
        var rolledBack = new ConcurrentBag<EventEnvelope>();
        var commits = new ConcurrentQueue<StreamPosition>();
        var budget = Stopwatch.StartNew();
        await using (OutboxFixtures.Start(runner))
        {
            // One inversion for certain: the older transaction commits after a younger one.
            await using (var older = await db.DataSource.OpenConnectionAsync())
            await using (var olderTransaction = await older.BeginTransactionAsync())
            {
                var olderEvent = Upserted("inv", 1, 1, "open");
                var olderToken = await store.Outbox.AppendAsync(older, olderTransaction, "gaps", [olderEvent]);
                var youngerEvent = Upserted("inv", 2, 1, "open");
                commits.Enqueue(await OutboxFixtures.AppendAsync(store, db.DataSource, "gaps", youngerEvent));
                await olderTransaction.CommitAsync();
                commits.Enqueue(olderToken);
                committed.Add(youngerEvent);
                committed.Add(olderEvent);
            }

            for (var round = 0; round < 3 && budget.Elapsed < TimeSpan.FromSeconds(40); round++)
            {
                var nextCase = 0;
                var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
                {
                    var random = new Random(round * 100 + w);
                    for (var t = 0; t < 10 && budget.Elapsed < TimeSpan.FromSeconds(40); t++)
                    {
                        await using var connection = await db.DataSource.OpenConnectionAsync();
                        await using var transaction = await connection.BeginTransactionAsync();
                        var events = Enumerable.Range(0, random.Next(1, 4))
                            .Select(_ => Upserted($"r{round}", Interlocked.Increment(ref nextCase), 1, "open"))
                            .ToArray();
                        var token = await store.Outbox.AppendAsync(connection, transaction, "gaps", events);
                        // The writer's own work between append and commit: usually short, sometimes long, so commits land out of order.
                        await Task.Delay(random.Next(10) == 0 ? random.Next(200, 600) : random.Next(0, 30));
                        if (random.Next(5) == 0)
                        {
                            await transaction.RollbackAsync();
                            foreach (var e in events)
                            {
                                rolledBack.Add(e);
                            }
                        }
                        else
                        {
                            await transaction.CommitAsync();
                            commits.Enqueue(token);
                            foreach (var e in events)
                            {
                                committed.Add(e);
                            }
                        }
                    }
                })).ToArray();
                await Task.WhenAll(writers);
            }

            await store.Freshness.WaitForPositionAsync("gaps", commits.Max(), Converge);

            var rows = await ReadModelRows.ReadAsync(db.DataSource, "gaps_rm");
            Assert.Equal(
                committed.Select(e => $"{e.Payload.GetProperty("tenant").GetString()}/{e.Payload.GetProperty("case").GetInt32()}").Order(StringComparer.Ordinal),
                rows.Select(r => $"{r.Tenant}/{r.CaseId}").Order(StringComparer.Ordinal));
            Assert.Equal(committed.Count, runner.Status.EventsApplied);
            Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".outbox WHERE event_id = ANY(ARRAY[{string.Join(",", rolledBack.Select(e => $"'{e.EventId}'::uuid").DefaultIfEmpty("NULL::uuid"))}])"));
        }

        var order = commits.ToArray();
        var inversions = order.Zip(order.Skip(1)).Count(p => p.First > p.Second);
        Assert.True(inversions > 0, "transactions committed out of transaction-id order, so a position-trusting reader would have had gaps to skip");
        Assert.NotEmpty(rolledBack);
    }

    [Fact]
    public async Task A_halting_event_faults_the_partition_with_its_error_until_restart()
    {
        var store = await StoreAsync("halting", policy: FailurePolicy.Halt);
        var runner = new ProjectionRunner(store, "halting", OutboxFixtures.FastRunner("halt-node"));
        await using (OutboxFixtures.Start(runner))
        {
            var good = await OutboxFixtures.AppendAsync(store, db.DataSource, "halting", Upserted("t1", 1, 1, "open"));
            var poison = await OutboxFixtures.AppendAsync(store, db.DataSource, "halting", Envelope("Poison", "t1", 2, 1, 0, null, new { tenant = "t1", @case = 2 }));

            await Eventually.TrueAsync(async () => await StateAsync("halting") == "Faulted", Converge, "the partition is recorded Faulted");

            var health = await store.Health.EvaluateAsync("halting");
            Assert.Equal(Npgsql.Health.ProjectionHealth.Unhealthy, health.Health);
            Assert.Contains(health.Problems, p => p.Contains("partition 0 is Faulted: Projection 'halting' halted", StringComparison.Ordinal));
            Assert.Equal(ProjectionState.Faulted, (await store.Freshness.GetAsync("halting")).State);
            Assert.Contains("halted", await db.ScalarAsync<string>($"SELECT last_error FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = 'halting'"), StringComparison.Ordinal);
            Assert.Equal([new CaseRow("t1", 1, "open", null, 1, false)], await ReadModelRows.ReadAsync(db.DataSource, "halting_rm"));
            // The checkpoint may pass other tests' transactions (the cluster is shared) but never the poison event's.
            var checkpoint = await db.ScalarAsync<long>($"SELECT position FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = 'halting'");
            Assert.InRange(checkpoint, good.Value, poison.Value - 1);
        }
    }

    [Fact]
    public async Task Bad_configuration_is_refused_with_every_problem_named()
    {
        await OutboxFixtures.CreateTableAsync(db, "broker_rm");
        var brokerFed = new CaseListProjection(ContractFor("broker_fed", IdempotencyMode.Inbox));
        var brokerStore = await OutboxFixtures.StoreAsync(db, db.DataSource, brokerFed, "broker_rm");
        var store = await StoreAsync("bad_options");

        var broker = Assert.Throws<ReadModelKitException>(() => new ProjectionRunner(brokerStore, "broker_fed"));
        var options = Assert.Throws<ReadModelKitException>(() => new ProjectionRunner(store, "bad_options", new ProjectionRunnerOptions
        {
            PartitionCount = 0,
            BatchSize = 0,
            LeaseDuration = TimeSpan.FromSeconds(10),
            HeartbeatInterval = TimeSpan.FromSeconds(5),
        }));

        Assert.Contains("reads BrokerTopic 'case-events', but ProjectionRunner reads only the outbox", broker.Message, StringComparison.Ordinal);
        Assert.Contains("store.GetApplier(\"broker_fed\").ApplyAsync(batch)", broker.Message, StringComparison.Ordinal);
        Assert.Contains("are invalid (3)", options.Message, StringComparison.Ordinal);
        Assert.Contains("PartitionCount 0 must be between 1 and 1024", options.Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize 0 must be at least 1", options.Message, StringComparison.Ordinal);
        Assert.Contains("at most a third of LeaseDuration", options.Message, StringComparison.Ordinal);
    }
}
