using BenchmarkDotNet.Attributes;

namespace ReadModelKit.Benchmarks.Apply;

/// <summary>
/// Inbox mode, batch 1000, random (<see cref="Guid.NewGuid"/>, the marked baseline) versus time-ordered
/// (<see cref="Guid.CreateVersion7(DateTimeOffset)"/>) event ids. The inbox starts with <see cref="InboxHistory"/> earlier
/// events of the same id kind (a retention window's worth), and each iteration applies new events on top of it, so the
/// ids land in a populated primary-key index as they do in production. The read model starts empty each iteration.
/// </summary>
public class InboxEventIdBenchmarks : ApplyBenchmarkBase
{
    /// <summary>Inbox rows present before the first iteration.</summary>
    public const int InboxHistory = 1_000_000;

    private int _iteration;

    [GlobalSetup(Target = nameof(RandomIds))]
    public Task SetupRandomAsync() => SetupAsync(EventIdKind.Random);

    [GlobalSetup(Target = nameof(Version7Ids))]
    public Task SetupVersion7Async() => SetupAsync(EventIdKind.Version7);

    [IterationSetup(Target = nameof(RandomIds))]
    public void IterationSetupRandom() => NextIteration(EventIdKind.Random);

    [IterationSetup(Target = nameof(Version7Ids))]
    public void IterationSetupVersion7() => NextIteration(EventIdKind.Version7);

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public Task<int> RandomIds() => ApplyInBatchesAsync(1000);

    [Benchmark(OperationsPerInvoke = Events)]
    public Task<int> Version7Ids() => ApplyInBatchesAsync(1000);

    private async Task SetupAsync(EventIdKind ids)
    {
        await StartDatabaseAsync();
        await Database.PrefillInboxAsync(InboxHistory, ids);
    }

    private void NextIteration(EventIdKind ids)
    {
        // New events (new ids, new cases) every iteration; the inbox keeps its history and grows by one workload per iteration.
        Database.ResetAsync(inbox: false).GetAwaiter().GetResult();
        Workload = ApplyWorkload.Create(ids, firstCaseId: 1 + (_iteration++ * Events), DateTimeOffset.UtcNow);
    }
}
