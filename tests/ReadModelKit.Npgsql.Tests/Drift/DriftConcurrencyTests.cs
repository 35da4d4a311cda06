using System.Diagnostics;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using static ReadModelKit.Npgsql.Tests.Infrastructure.CaseListProjection;

namespace ReadModelKit.Npgsql.Tests.Drift;

/// <summary>
/// Drift found while the projection is behind its source is only a candidate. The source is a case table whose every write carries the
/// next position; the projection is fed the same changes as events through <see cref="ProjectionApplier"/> (checkpoint mode) a moment later.
/// Three read-model rows are corrupted behind the library's back and never written again: they are the only real drift.
/// </summary>
public sealed class DriftConcurrencyTests(DriftFixture fx) : IClassFixture<DriftFixture>
{
    private const int Cases = 40;
    private static readonly RowKey[] Corrupted = [new("t1", 1), new("t1", 2), new("t2", 1)];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Drift_seen_while_the_projection_lags_is_rechecked_after_catch_up_and_only_real_drift_is_recorded(bool crossDatabase)
    {
        var world = await World.CreateAsync(fx, crossDatabase ? "lagx" : "lags", crossDatabase);
        var pending = await world.WriteSourceAsync([new("t1", 5), new("t1", 6), new("t3", 9)]);
        var snapshotTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = world.Options();
        var read = options.SourcePosition!;
        options.SourcePosition = async (connection, ct) =>
        {
            var position = await read(connection, ct);
            snapshotTaken.TrySetResult();
            return position;
        };

        var check = world.Drift.CheckAsync(world.Projection, options);
        if (await Task.WhenAny(snapshotTaken.Task, check).WaitAsync(TimeSpan.FromMinutes(2)) == check)
        {
            await check; // failed before reading its snapshot: show why
        }

        await world.ApplyAsync(pending);
        var report = await check;

        Assert.Equal(3 + Corrupted.Length, report.Candidates);
        Assert.Equal((0L, 0L, (long)Corrupted.Length, 0L), (report.Missing, report.Extra, report.Changed, report.Unconfirmed));
        Assert.Equal(Corrupted.ToHashSet(), report.Samples.Select(s => s.Key).ToHashSet());
        Assert.Equal(Corrupted.Select(k => $"[\"{k[0]}\", {k[1]}]").Order().ToList(), (await world.Drift.ListIncidentsAsync(world.Projection)).Select(i => i.Key).Order().ToList());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Writes_flowing_through_the_applier_during_checks_never_produce_an_incident_that_is_not_real(bool crossDatabase)
    {
        var world = await World.CreateAsync(fx, crossDatabase ? "flowx" : "flows", crossDatabase);
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = Task.Run(async () =>
        {
            var random = new Random(7);
            while (!stop.IsCancellationRequested)
            {
                // A few source writes, then their events in one batch: the projection is briefly behind, as an async projection is.
                var keys = Enumerable.Range(0, 3).Select(_ => new RowKey("t" + random.Next(3, 6), random.Next(1, Cases + 1))).Distinct().ToList();
                var events = await world.WriteSourceAsync(keys);
                await world.ApplyAsync(events);
                Interlocked.Add(ref writes, keys.Count);
                writing.TrySetResult();
            }
        });

        // On a busy machine the writer may start late (a starved thread pool): check only once it writes, and until writes flowed
        // during the checks, rather than for a fixed time.
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var reports = new List<DriftReport>();
        var watch = Stopwatch.StartNew();
        var writesBefore = Volatile.Read(ref writes);
        while ((reports.Count < 6 || Volatile.Read(ref writes) == writesBefore) && watch.Elapsed < TimeSpan.FromSeconds(120))
        {
            reports.Add(await world.Drift.CheckAsync(world.Projection, world.Options()));
        }

        Assert.True(Volatile.Read(ref writes) > writesBefore, "no write flowed while the checks ran");

        await stop.CancelAsync();
        await writer;
        Assert.NotEmpty(reports);
        foreach (var report in reports)
        {
            Assert.Equal(Corrupted.ToHashSet(), report.Samples.Select(s => s.Key).ToHashSet());
            Assert.Equal(Corrupted.Length, report.Total);
        }

        var incidents = await world.Drift.ListIncidentsAsync(world.Projection, openOnly: false);
        // Whether a check happened to see the projection behind depends on timing; the test above makes that case certain.
        Assert.Equal(Corrupted.Select(k => $"[\"{k[0]}\", {k[1]}]").Order().ToList(), incidents.Select(i => i.Key).Order().ToList());
    }

    /// <summary>A source case table, a case-list projection fed from it, and a reconciler for the chosen strategy.</summary>
    private sealed class World
    {
        private readonly DriftFixture _fx;
        private readonly NpgsqlDataSource _sourceWriter;
        private readonly string _source;
        private long _position;

        private World(DriftFixture fx, string prefix, NpgsqlReadModelStore store, DriftReconciler drift, NpgsqlDataSource sourceWriter, long position)
        {
            _fx = fx;
            Projection = prefix;
            Applier = store.GetApplier(prefix);
            Drift = drift;
            _sourceWriter = sourceWriter;
            _source = fx.SourceTable(prefix + "_src");
            _position = position;
        }

        public string Projection { get; }

        public ProjectionApplier Applier { get; }

        public DriftReconciler Drift { get; }

        public static async Task<World> CreateAsync(DriftFixture fx, string prefix, bool crossDatabase)
        {
            await fx.ExecuteSourceAsync($"CREATE TABLE {prefix}_src (tenant_id text, case_id int, status text, title text, position bigint NOT NULL, PRIMARY KEY (tenant_id, case_id))");
            await fx.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, CaseListProjection.TableSql, $"\"{prefix}_rm\""));
            var options = new NpgsqlReadModelOptions { Schema = fx.Schema + "_rmk" };
            options.Map(prefix, CaseListProjection.Mapping(prefix + "_rm") with
            {
                RecomputeSql = $"SELECT tenant_id, case_id, status, title FROM {fx.SourceTable(prefix + "_src")}",
            });
            var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(fx.ReadModel), options, [new CaseListProjection(ContractFor(prefix, IdempotencyMode.Checkpoint))], TimeProvider.System);
            await store.InitializeAsync();
            var world = new World(fx, prefix, store, crossDatabase ? new DriftReconciler(store, fx.Source) : store.Drift, crossDatabase ? fx.Source : fx.ReadModel, 0);
            var all = Enumerable.Range(1, Cases).SelectMany(i => new[] { new RowKey("t1", i), new RowKey("t2", i), new RowKey("t3", i), new RowKey("t4", i), new RowKey("t5", i) }).ToList();
            await world.ApplyAsync(await world.WriteSourceAsync(all));
            await fx.ExecuteAsync($"UPDATE {prefix}_rm SET title = 'corrupted behind the library''s back' WHERE (tenant_id, case_id) IN (('t1', 1), ('t1', 2), ('t2', 1))");
            return world;
        }

        public DriftCheckOptions Options() => new()
        {
            SourcePosition = async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand($"SELECT coalesce(max(position), 0) FROM {_source}", connection);
                return (long)(await command.ExecuteScalarAsync(ct))!;
            },
            // Generous: the wait ends as soon as the projection catches up, and a writer starved between its source write and its
            // apply would otherwise leave the real drift unconfirmed.
            CatchUpTimeout = TimeSpan.FromMinutes(2),
            CatchUpPollInterval = TimeSpan.FromMilliseconds(20),
            MaxRechecks = 5,
            SameDatabase = { ChunkSize = 17 },
            CrossDatabase = { BlockSize = 30, LeafThreshold = 8, FanOut = 4 },
        };

        /// <summary>Writes new statuses for <paramref name="keys"/> to the source, one position each, and returns the matching events (not yet applied).</summary>
        public async Task<List<EventEnvelope>> WriteSourceAsync(IReadOnlyList<RowKey> keys)
        {
            var events = new List<EventEnvelope>();
            await using var batch = _sourceWriter.CreateBatch();
            foreach (var key in keys)
            {
                var position = ++_position;
                var status = "s" + position;
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                    INSERT INTO {_source} VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (tenant_id, case_id) DO UPDATE SET status = EXCLUDED.status, position = EXCLUDED.position
                    """)
                {
                    Parameters =
                    {
                        new NpgsqlParameter<string> { TypedValue = (string)key[0] },
                        new NpgsqlParameter<int> { TypedValue = (int)key[1] },
                        new NpgsqlParameter<string> { TypedValue = status },
                        new NpgsqlParameter<string> { TypedValue = "case " + key[1] },
                        new NpgsqlParameter<long> { TypedValue = position },
                    },
                });
                events.Add(Upserted((string)key[0], (int)key[1], position, status, "case " + key[1], position));
            }

            await batch.ExecuteNonQueryAsync();
            return events;
        }

        public async Task ApplyAsync(IReadOnlyList<EventEnvelope> events) => await Applier.ApplyAsync(events);
    }
}
