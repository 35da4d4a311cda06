using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Rebuild;

/// <summary>Outbox-fed rebuild beds for the replay tests: commands through the outbox, a live runner, the replay's checkpoint track.</summary>
public static class ReplayBeds
{
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    /// <summary>An outbox-fed bed (stream named after it) whose contract rebuilds by replay, <paramref name="chunk"/> events per batch.</summary>
    public static Task<RebuildBed> CreateAsync(PostgresSchemaFixture db, string name, int chunk) =>
        RebuildBed.CreateAsync(db, name, o => o.ChunkSize = chunk, method: RebuildMethod.ReplayEvents, outbox: true);

    /// <summary>Commands over two tenants, one event each: <paramref name="count"/> upserts, then a second version of every third key and a delete of every fifth.</summary>
    public static async Task CommandsAsync(RebuildBed bed, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            await bed.CommandAsync(i % 2 == 0 ? "t1" : "t2", i / 2, "s" + i);
        }

        for (var i = from; i < from + count; i += 3)
        {
            await bed.CommandAsync(i % 2 == 0 ? "t1" : "t2", i / 2, "again" + i);
        }

        for (var i = from; i < from + count; i += 5)
        {
            await bed.CommandDeleteAsync(i % 2 == 0 ? "t1" : "t2", i / 2);
        }
    }

    /// <summary>Events of the bed's stream in the outbox.</summary>
    public static Task<long> EventsAsync(PostgresSchemaFixture db, RebuildBed bed) =>
        db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".outbox WHERE stream = '{bed.Name}'");

    /// <summary>Checkpoint rows of the projection outside the live track (a replay's).</summary>
    public static Task<long> TrackRowsAsync(PostgresSchemaFixture db, RebuildBed bed) =>
        db.ScalarAsync<long>($"SELECT count(*) FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = '{bed.Name}' AND track <> ''");

    /// <summary>The position of the replay's checkpoint (0 without one).</summary>
    public static Task<long> TrackPositionAsync(PostgresSchemaFixture db, RebuildBed bed) =>
        db.ScalarAsync<long>($"SELECT coalesce(max(position), 0) FROM \"{db.Schema}_rmk\".checkpoint WHERE projection_name = '{bed.Name}' AND track <> ''");
}

/// <summary>The projection's live runner in the background, and a wait until it applied everything committed so far.</summary>
public sealed class LiveRunner : IAsyncDisposable
{
    private readonly RebuildBed _bed;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public LiveRunner(RebuildBed bed)
    {
        _bed = bed;
        var runner = new ProjectionRunner(bed.Store, bed.Name, OutboxFixtures.FastRunner("live-" + bed.Name));
        _run = runner.RunAsync(_stop.Token);
    }

    public Task CaughtUpAsync() =>
        Eventually.TrueAsync(async () => await _bed.LiveRowsAsync(_bed.Name) == await _bed.ExpectedLiveAsync(), ReplayBeds.Converge, $"the live runner of {_bed.Name} applied every command");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
