using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using ReadModelKit.Contracts;
using ReadModelKit.Events;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// Shared set-up of the apply scenarios: one PostgreSQL server per benchmark process (started in the scenario's GlobalSetup,
/// removed in GlobalCleanup) and batching of the workload.
/// Each invocation writes <see cref="ApplyWorkload.Events"/> events and reports per event (OperationsPerInvoke).
/// Monitoring strategy: one invocation per iteration, no pilot, 2 warm-up + 7 measured iterations.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ApplyBenchmarkConfig))]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 7)]
public abstract class ApplyBenchmarkBase
{
    protected const int Events = ApplyWorkload.Events;

    private readonly Dictionary<int, EventEnvelope[][]> _batches = [];
    private EventEnvelope[] _workload = [];

    /// <summary>The server and tables of this benchmark process.</summary>
    protected internal BenchDatabase Database { get; private set; } = null!;

    /// <summary>The events of one invocation.</summary>
    protected EventEnvelope[] Workload
    {
        get => _workload;
        set
        {
            _workload = value;
            _batches.Clear();
        }
    }

    /// <summary>The projection's idempotency mode.</summary>
    protected virtual IdempotencyMode Mode => IdempotencyMode.Inbox;

    [GlobalCleanup]
    public async Task GlobalCleanupAsync() => await Database.DisposeAsync();

    /// <summary>Starts the server and creates the tables (call from the scenario's GlobalSetup).</summary>
    protected async Task StartDatabaseAsync() => Database = await BenchDatabase.StartAsync(Mode);

    /// <summary>Applies the workload through <c>ProjectionApplier.ApplyAsync</c> in batches of <paramref name="size"/>.</summary>
    protected async Task<int> ApplyInBatchesAsync(int size)
    {
        if (!_batches.TryGetValue(size, out var batches))
        {
            _batches[size] = batches = ApplyWorkload.Batches(Workload, size);
        }

        var applied = 0;
        if (Mode == IdempotencyMode.Checkpoint)
        {
            // Ordered source: each batch names the checkpoint it continues from (compare-and-set), no inbox rows.
            var checkpoint = StreamPosition.Start;
            foreach (var batch in batches)
            {
                var result = await Database.Applier.ApplyAsync(batch, checkpoint, 0);
                checkpoint = result.Checkpoint;
                applied += result.Applied;
            }
        }
        else
        {
            foreach (var batch in batches)
            {
                applied += (await Database.Applier.ApplyAsync(batch)).Applied;
            }
        }

        return applied;
    }
}
