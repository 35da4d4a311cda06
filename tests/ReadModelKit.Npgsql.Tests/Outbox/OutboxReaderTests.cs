using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Outbox;
using ReadModelKit.Npgsql.Sql;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Outbox;

public sealed class OutboxReaderTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private async Task<(NpgsqlReadModelStore Store, OutboxReader Reader)> SetUpAsync(string name)
    {
        var store = await OutboxFixtures.NewProjectionAsync(db, name);
        return (store, new OutboxReader(db.DataSource, SqlIdentifier.From(db.Schema + "_rmk", "schema")));
    }

    [Fact]
    public async Task A_transaction_still_running_holds_back_later_commits_which_a_position_reader_would_skip()
    {
        var (store, reader) = await SetUpAsync("held_back");
        await using var slow = await db.DataSource.OpenConnectionAsync();
        await using var slowTransaction = await slow.BeginTransactionAsync();
        var first = Upserted("t1", 1, 1, "open");
        await store.Outbox.AppendAsync(slow, slowTransaction, "held_back", [first]);
        var second = Upserted("t1", 2, 1, "open");
        await OutboxFixtures.AppendAsync(store, db.DataSource, "held_back", second);

        // What a reader trusting the sequence does: it sees position 2, moves past it, and never sees position 1.
        var naive = await db.ScalarAsync<long>($"SELECT max(position) FROM \"{db.Schema}_rmk\".outbox WHERE stream = 'held_back'");
        var whileRunning = await reader.FetchAsync("held_back", 0, 1, StreamPosition.Start, 100, default);
        await slowTransaction.CommitAsync();
        OutboxBatch afterwards = null!;
        await Eventually.TrueAsync(
            async () => (afterwards = await reader.FetchAsync("held_back", 0, 1, StreamPosition.Start, 100, default)).Events.Count == 2,
            TimeSpan.FromSeconds(30),
            "both transactions are below the horizon (other test classes may hold it for a moment)");
        var missedByNaive = await db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".outbox WHERE stream = 'held_back' AND position <= {naive} AND event_id = '{first.EventId}'");

        Assert.Empty(whileRunning.Events);
        Assert.Equal(second.OccurredAt, whileRunning.OldestHeldBackAt);
        Assert.Equal([first.EventId, second.EventId], afterwards.Events.Select(e => e.EventId));
        Assert.True(afterwards.Events[0].Position < afterwards.Events[1].Position, "events come in transaction order, each carrying its transaction id");
        Assert.Equal(1, missedByNaive);
    }

    [Fact]
    public async Task Batches_hold_whole_transactions_only()
    {
        var (store, reader) = await SetUpAsync("whole_tx");
        var big = Enumerable.Range(1, 5).Select(i => Upserted("t1", i, 1, "open")).ToArray();
        var small = Enumerable.Range(6, 3).Select(i => Upserted("t1", i, 1, "open")).ToArray();
        var bigToken = await OutboxFixtures.AppendAsync(store, db.DataSource, "whole_tx", big);
        var smallToken = await OutboxFixtures.AppendAsync(store, db.DataSource, "whole_tx", small);
        await Eventually.TrueAsync(async () => (await reader.FetchAsync("whole_tx", 0, 1, StreamPosition.Start, 100, default)).Events.Count == 8, TimeSpan.FromSeconds(30), "both transactions are below the horizon");

        var limitInsideTheFirst = await reader.FetchAsync("whole_tx", 0, 1, StreamPosition.Start, 4, default);
        var limitInsideTheSecond = await reader.FetchAsync("whole_tx", 0, 1, StreamPosition.Start, 6, default);
        var rest = await reader.FetchAsync("whole_tx", 0, 1, bigToken, 2, default);

        Assert.Equal(big.Select(e => e.EventId), limitInsideTheFirst.Events.Select(e => e.EventId));
        Assert.False(limitInsideTheFirst.ReachedHorizon);
        Assert.Equal(big.Select(e => e.EventId), limitInsideTheSecond.Events.Select(e => e.EventId));
        Assert.All(limitInsideTheSecond.Events, e => Assert.Equal(bigToken, e.Position));
        Assert.Equal(small.Select(e => e.EventId), rest.Events.Select(e => e.EventId));
        Assert.All(rest.Events, e => Assert.Equal(smallToken, e.Position));
    }

    [Fact]
    public async Task Partitions_split_the_stream_by_ordering_key_without_overlap()
    {
        var (store, reader) = await SetUpAsync("split");
        var events = Enumerable.Range(1, 60).Select(i => Upserted("t" + (i % 3), i, 1, "open")).ToArray();
        await OutboxFixtures.AppendAsync(store, db.DataSource, "split", events);
        await Eventually.TrueAsync(async () => (await reader.FetchAsync("split", 0, 1, StreamPosition.Start, 100, default)).Events.Count == 60, TimeSpan.FromSeconds(30), "the transaction is below the horizon");

        var parts = new List<IReadOnlyList<EventEnvelope>>();
        for (var p = 0; p < 3; p++)
        {
            parts.Add((await reader.FetchAsync("split", p, 3, StreamPosition.Start, 100, default)).Events);
        }

        Assert.Equal(60, parts.Sum(p => p.Count));
        Assert.Equal(events.Select(e => e.EventId).Order(), parts.SelectMany(p => p).Select(e => e.EventId).Order());
        Assert.All(parts, p => Assert.NotEmpty(p));
        var keysPerPartition = parts.Select(p => p.Select(e => e.OrderingKey).ToHashSet()).ToList();
        Assert.Empty(keysPerPartition[0].Intersect(keysPerPartition[1]).Concat(keysPerPartition[1].Intersect(keysPerPartition[2])));
    }

    /// <summary>One step of a schedule: a writer session begins/appends/commits/rolls back, or the reader polls with a batch limit.</summary>
    public sealed record Step(int Kind, int Session, int Limit);

    private static readonly Gen<Step[]> Schedules =
        Gen.ListOf(from kind in Gen.Frequency((2, Gen.Constant(0)), (4, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)), (3, Gen.Constant(4)))
                   from session in Gen.Choose(0, 2)
                   from limit in Gen.Choose(1, 4)
                   select new Step(kind, session, limit))
           .Select(l => l.ToArray());

    [Fact]
    public async Task Law_gap_safety_every_committed_event_is_delivered_exactly_once_whatever_the_commit_order()
    {
        var (store, reader) = await SetUpAsync("law");
        var sessions = new NpgsqlConnection[3];
        for (var i = 0; i < sessions.Length; i++)
        {
            sessions[i] = await db.DataSource.OpenConnectionAsync();
        }

        try
        {
            var cases = 0;
            Check.One(Config.QuickThrowOnFailure.WithMaxTest(20), Prop.ForAll(Schedules.ToArbitrary(), schedule =>
            {
                cases++;
                return RunScheduleAsync(store, reader, sessions, schedule, "law-" + cases).GetAwaiter().GetResult();
            }));
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    private static async Task<bool> RunScheduleAsync(NpgsqlReadModelStore store, OutboxReader reader, NpgsqlConnection[] sessions, Step[] schedule, string stream)
    {
        var open = new NpgsqlTransaction?[sessions.Length];
        var pending = new List<Guid>[sessions.Length];
        var committed = new HashSet<Guid>();
        var delivered = new List<Guid>();
        var checkpoint = StreamPosition.Start;
        var nextCase = 0;

        async Task ReadAsync(int limit)
        {
            var batch = await reader.FetchAsync(stream, 0, 1, checkpoint, limit, default);
            delivered.AddRange(batch.Events.Select(e => e.EventId));
            if (batch.Events.Count > 0)
            {
                checkpoint = batch.Events[^1].Position;
            }
        }

        async Task EndAsync(int s, bool commit)
        {
            if (open[s] is not { } transaction)
            {
                return;
            }

            if (commit)
            {
                await transaction.CommitAsync();
                committed.UnionWith(pending[s]);
            }
            else
            {
                await transaction.RollbackAsync();
            }

            await transaction.DisposeAsync();
            open[s] = null;
        }

        foreach (var step in schedule)
        {
            switch (step.Kind)
            {
                case 0 or 1:
                    if (open[step.Session] is null)
                    {
                        open[step.Session] = await sessions[step.Session].BeginTransactionAsync();
                        pending[step.Session] = [];
                    }

                    if (step.Kind == 1)
                    {
                        var events = Enumerable.Range(0, step.Limit).Select(_ => Upserted("t", ++nextCase, 1, "open")).ToArray();
                        await store.Outbox.AppendAsync(sessions[step.Session], open[step.Session]!, stream, events);
                        pending[step.Session].AddRange(events.Select(e => e.EventId));
                    }

                    break;
                case 2:
                    await EndAsync(step.Session, commit: true);
                    break;
                case 3:
                    await EndAsync(step.Session, commit: false);
                    break;
                default:
                    await ReadAsync(step.Limit);
                    break;
            }
        }

        for (var s = 0; s < sessions.Length; s++)
        {
            await EndAsync(s, commit: s % 2 == 0);
        }

        // Drain (other test classes' transactions may hold the horizon for a moment).
        var drained = System.Diagnostics.Stopwatch.StartNew();
        while (delivered.Count < committed.Count && drained.Elapsed < TimeSpan.FromSeconds(30))
        {
            var before = delivered.Count;
            await ReadAsync(4);
            if (delivered.Count == before)
            {
                await Task.Delay(10);
            }
        }

        await ReadAsync(100);
        return delivered.Count == delivered.Distinct().Count() && delivered.ToHashSet().SetEquals(committed);
    }
}
