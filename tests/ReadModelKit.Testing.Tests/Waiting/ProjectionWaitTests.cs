using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Projections;
using ReadModelKit.Testing.Harness;
using ReadModelKit.Testing.Postgres;
using ReadModelKit.Testing.Tests.Laws;
using ReadModelKit.Testing.Waiting;

namespace ReadModelKit.Testing.Tests.Waiting;

public sealed class ProjectionWaitTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(2);
    private PostgresTestSchema _schema = null!;

    public async Task InitializeAsync() => _schema = await PostgresTestSchema.CreateAsync();

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task Waiting_for_a_position_returns_once_the_runner_applied_it()
    {
        var sandbox = await SandboxAsync("waits_applied", FailurePolicy.DeadLetterAndContinue);
        await using var running = Run(sandbox);
        var position = await AppendAsync(sandbox, Opened(1, 1, "Storm"));

        await ProjectionWait.UntilAppliedAsync(sandbox.Store, "waits_applied", position, Long);

        Assert.Equal(["(1) v1 title='Storm' open_tasks=0"], (await sandbox.ReadRowsAsync()).Select(r => r.ToString()));
        await ProjectionWait.UntilCaughtUpAsync(sandbox.Store, "waits_applied", Long);
    }

    [Fact]
    public async Task A_faulted_partition_ends_the_wait_with_the_projection_error()
    {
        var sandbox = await SandboxAsync("waits_halted", FailurePolicy.Halt);
        await using var running = Run(sandbox);
        var position = await AppendAsync(sandbox, Poison(2));

        var error = await Assert.ThrowsAsync<ProjectionWaitException>(() => ProjectionWait.UntilAppliedAsync(sandbox.Store, "waits_halted", position, Long));

        Assert.Equal(ProjectionWaitFailure.Faulted, error.Failure);
        Assert.StartsWith($"Projection 'waits_halted' cannot get applied position {position}: partition 0 is Faulted at position ", error.Message, StringComparison.Ordinal);
        Assert.Contains("The given key was not present in the dictionary.", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Fix the handler or the event, then restart the runner.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_lettered_event_ends_the_wait_with_its_error()
    {
        var sandbox = await SandboxAsync("waits_dead", FailurePolicy.DeadLetterAndContinue);
        await using var running = Run(sandbox);
        var poison = Poison(3);
        var position = await AppendAsync(sandbox, poison, Opened(4, 1, "Fine"));

        var error = await Assert.ThrowsAsync<ProjectionWaitException>(() => ProjectionWait.UntilAppliedAsync(sandbox.Store, "waits_dead", position, Long));

        Assert.Equal(ProjectionWaitFailure.DeadLettered, error.Failure);
        Assert.Equal([poison.EventId], error.DeadLetters.Select(d => d.Envelope.EventId));
        Assert.StartsWith("Projection 'waits_dead' dead-lettered 1 event(s) while waiting until it applied position", error.Message, StringComparison.Ordinal);
        Assert.Contains("dead after 3 attempt(s): CaseOpened key=case-3", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(": The given key was not present in the dictionary.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_reports_pending_events_and_that_nothing_runs_the_projection()
    {
        var sandbox = await SandboxAsync("waits_idle", FailurePolicy.DeadLetterAndContinue);
        var position = await AppendAsync(sandbox, Opened(5, 1, "Nobody projects me"));

        var error = await Assert.ThrowsAsync<ProjectionWaitException>(() => ProjectionWait.UntilAppliedAsync(sandbox.Store, "waits_idle", position, TimeSpan.FromMilliseconds(300)));

        Assert.Equal(ProjectionWaitFailure.TimedOut, error.Failure);
        Assert.Equal(1, error.Status.PendingEvents);
        Assert.StartsWith($"Projection 'waits_idle' has not applied position {position} within 0.3 s. Status: CatchingUp, 1 event(s) pending (", error.Message, StringComparison.Ordinal);
        Assert.Contains("Partition 0: position 0, CatchingUp, no live lease.", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Live runner nodes: 0. Nothing is running this projection: start a ProjectionRunner for it (or apply the events yourself).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Waiting_to_catch_up_needs_an_outbox_fed_projection()
    {
        var sandbox = await ProjectionSandbox.CreateAsync(_schema, BoardProjections.Setup(() => new BoardProjections.Correct()), "broker");

        var error = await Assert.ThrowsAsync<ReadModelKitException>(() => ProjectionWait.UntilCaughtUpAsync(sandbox.Store, "board", Long));

        Assert.Equal("Projection 'board' reads BrokerTopic 'case-events', so only its checkpoint shows progress: wait with ProjectionWait.UntilAppliedAsync for the position you delivered.", error.Message);
    }

    private Task<ProjectionSandbox> SandboxAsync(string name, FailurePolicy policy)
    {
        var contract = BoardProjections.Contract with { Name = name, Source = new ProjectionSource(SourceKind.Outbox, name), Idempotency = IdempotencyMode.Checkpoint, FailurePolicy = policy };
        return ProjectionSandbox.CreateAsync(_schema, BoardProjections.Setup(() => new Renamed(contract)), name);
    }

    private static RunningProjection Run(ProjectionSandbox sandbox) => new(new ProjectionRunner(sandbox.Store, sandbox.Applier.Contract.Name, new ProjectionRunnerOptions
    {
        NodeId = "wait-node",
        PartitionCount = 1,
        MinIdleDelay = TimeSpan.FromMilliseconds(10),
        MaxIdleDelay = TimeSpan.FromMilliseconds(100),
    }));

    private async Task<StreamPosition> AppendAsync(ProjectionSandbox sandbox, params EventEnvelope[] events)
    {
        await using var connection = await _schema.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var position = await sandbox.Store.Outbox.AppendAsync(connection, transaction, sandbox.Applier.Contract.Source.Name, events);
        await transaction.CommitAsync();
        return position;
    }

    private static EventEnvelope Opened(int caseId, long version, string title) =>
        BoardProjections.Event("CaseOpened", caseId, new { caseId, title, openTasks = 0 }, version);

    private static EventEnvelope Poison(int caseId) => BoardProjections.Event("CaseOpened", caseId, new { title = "no case id" });

    private sealed class Renamed(ProjectionContract contract) : IProjection
    {
        private readonly BoardProjections.Correct _inner = new();

        public ProjectionContract Contract => contract;

        public IEnumerable<RowChange> Project(EventEnvelope envelope) => _inner.Project(envelope);
    }

    private sealed class RunningProjection : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public RunningProjection(ProjectionRunner runner) => _run = Task.Run(() => runner.RunAsync(_stop.Token));

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }
    }
}
