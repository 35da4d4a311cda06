using ReadModelKit.Events;
using ReadModelKit.Npgsql.Control;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Checkpoints;

/// <summary>
/// Generated interleavings of batches on several partitions (with events that keep failing and are dead-lettered, and later events
/// parked behind them), replays, skips, pauses, resumes and restarts. After every step, no partition's checkpoint has passed an event
/// of that partition that is neither applied (its row holds that version or a newer one) nor in the dead-letter table, and only
/// batches of a partition ever moved its checkpoint.
/// </summary>
public sealed class CheckpointSafetyPropertyTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    private const int Partitions = 3;
    private const int CasesPerPartition = 3;
    private const string Name = "cp_safety";

    /// <summary>One generated step. Batch: partition, then per event a case slot and whether it keeps failing; the others pick by index.</summary>
    public sealed record Step(string Kind, int Partition, (int Slot, bool Failing)[] Events, int Pick)
    {
        public override string ToString() => Kind == "batch" ? $"batch p{Partition} [{string.Join(", ", Events.Select(e => $"{e.Slot}{(e.Failing ? "!" : "")}"))}]" : $"{Kind} p{Partition} #{Pick}";
    }

    private static readonly Gen<Step> Steps =
        from kind in Gen.Frequency((6, Gen.Constant("batch")), (2, Gen.Constant("replay")), (2, Gen.Constant("skip")), (1, Gen.Constant("pause")), (1, Gen.Constant("resume")), (1, Gen.Constant("restart")))
        from partition in Gen.Choose(0, Partitions - 1)
        from count in Gen.Choose(1, 4)
        from events in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, CasesPerPartition - 1), Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))), count)
        from pick in Gen.Choose(0, 20)
        select new Step(kind, partition, events, pick);

    [Fact]
    public async Task No_checkpoint_ever_passes_an_event_of_its_partition_that_was_neither_applied_nor_dead_lettered()
    {
        var projection = new CaseListProjection(OutboxFixtures.Contract(Name, Name));
        await OutboxFixtures.CreateTableAsync(db, Name + "_rm");
        var store = await OutboxFixtures.StoreAsync(db, db.DataSource, projection, Name + "_rm");
        await new PartitionLeases(store.DataSource, store.SchemaIdentifier, Name, Partitions, "setup", TimeSpan.FromSeconds(30)).EnsureAsync(default);
        var casesOf = await CasesByPartitionAsync();

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), Prop.ForAll(Gen.Choose(3, 14).SelectMany(n => Gen.ArrayOf(Steps, n)).ToArbitrary(), (Step[] steps) => Run(async () =>
        {
            await ResetAsync();
            var events = new List<(EventEnvelope Envelope, int Partition)>();
            var checkpoints = new long[Partitions];
            var versions = new Dictionary<int, long>();
            var paused = new HashSet<int>();
            var position = 0L;
            foreach (var step in steps)
            {
                switch (step.Kind)
                {
                    case "batch":
                        var batch = step.Events.Select(e =>
                        {
                            var caseId = casesOf[step.Partition][e.Slot];
                            var version = versions[caseId] = versions.GetValueOrDefault(caseId) + 1;
                            position += 10;
                            return e.Failing
                                ? Envelope("Flaky", "t1", caseId, version, position, null, new { tenant = "t1", @case = caseId, status = "v" + version })
                                : Upserted("t1", caseId, version, "v" + version, position: position);
                        }).ToList();
                        projection.FailuresLeft = int.MaxValue;
                        var result = await store.GetApplier(Name).ApplyAsync(batch, new StreamPosition(checkpoints[step.Partition]), step.Partition);
                        checkpoints[step.Partition] = position;
                        Assert.Equal(position, result.Checkpoint.Value);
                        events.AddRange(batch.Select(e => (e, step.Partition)));
                        break;
                    case "replay" or "skip":
                        var open = (await store.DeadLetters.ListAsync(Name)).Where(d => d.Status == "dead").ToList();
                        if (open.Count > 0)
                        {
                            var dead = open[step.Pick % open.Count].Envelope;
                            projection.FailuresLeft = step.Pick % 3 == 0 ? int.MaxValue : 0; // sometimes the replayed event fails again
                            _ = step.Kind == "replay"
                                ? await store.DeadLetters.ReplayAsync(Name, dead.OrderingKey)
                                : await store.DeadLetters.SkipAsync(Name, dead.EventId);
                        }

                        break;
                    case "pause":
                        Assert.Equal([step.Partition], await store.Control.PauseAsync(Name, step.Partition));
                        paused.Add(step.Partition);
                        break;
                    case "resume":
                        if (paused.Remove(step.Partition))
                        {
                            Assert.Equal([step.Partition], await store.Control.ResumeAsync(Name, step.Partition));
                        }
                        else
                        {
                            await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.ResumeAsync(Name, step.Partition));
                        }

                        break;
                    default:
                        // Nothing here is Faulted (only a runner records that), so a restart is refused and changes nothing.
                        await Assert.ThrowsAsync<ProjectionControlException>(() => store.Control.RestartAsync(Name, step.Partition));
                        break;
                }

                await AssertSafeAsync(events, checkpoints);
            }
        })));
    }

    /// <summary>The oracle: read from the tables, not from the code's results.</summary>
    private async Task AssertSafeAsync(List<(EventEnvelope Envelope, int Partition)> events, long[] checkpoints)
    {
        var stored = new Dictionary<int, long>();
        await using (var command = db.DataSource.CreateCommand($"SELECT partition_id, position FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = '{Name}' AND track = ''"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored[reader.GetInt32(0)] = reader.GetInt64(1);
            }
        }

        var rows = (await ReadModelRows.ReadAsync(db.DataSource, Name + "_rm")).ToDictionary(r => r.CaseId, r => r.Version);
        var deadLettered = new HashSet<Guid>();
        await using (var command = db.DataSource.CreateCommand($"SELECT event_id FROM \"{db.Schema}_rmk\".dead_letter WHERE projection_name = '{Name}'"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                deadLettered.Add(reader.GetGuid(0));
            }
        }

        for (var p = 0; p < Partitions; p++)
        {
            Assert.Equal(checkpoints[p], stored.GetValueOrDefault(p));
        }

        foreach (var (envelope, partition) in events.Where(e => e.Envelope.Position.Value <= stored.GetValueOrDefault(e.Partition)))
        {
            var caseId = envelope.Payload.GetProperty("case").GetInt32();
            Assert.True(
                rows.GetValueOrDefault(caseId) >= envelope.Version || deadLettered.Contains(envelope.EventId),
                $"partition {partition}'s checkpoint {stored.GetValueOrDefault(partition)} passed event {envelope.Type} v{envelope.Version} of case {caseId} at {envelope.Position}, which is neither applied nor dead-lettered");
        }
    }

    /// <summary>Case ids of tenant t1 per partition, by PostgreSQL's own hash.</summary>
    private async Task<int[][]> CasesByPartitionAsync()
    {
        var byPartition = Enumerable.Range(0, Partitions).Select(_ => new List<int>()).ToArray();
        await using var command = db.DataSource.CreateCommand($"SELECT g, mod(mod(hashtextextended('t1/' || g, 0), {Partitions}) + {Partitions}, {Partitions})::int4 FROM generate_series(1, 60) g");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            byPartition[reader.GetInt32(1)].Add(reader.GetInt32(0));
        }

        return byPartition.Select(l => l.Take(CasesPerPartition).ToArray()).ToArray();
    }

    private Task ResetAsync() => db.ExecuteAsync($"""
        TRUNCATE "{Name}_rm";
        DELETE FROM "{db.Schema}_rmk".dead_letter WHERE projection_name = '{Name}';
        DELETE FROM "{db.Schema}_rmk".partition_control WHERE projection_name = '{Name}';
        UPDATE "{db.Schema}_rmk".checkpoint SET position = 0 WHERE projection_name = '{Name}';
        """);

    private static void Run(Func<Task> body) => Task.Run(body).GetAwaiter().GetResult();
}
