using ReadModelKit.Npgsql.Runner;
using ReadModelKit.Testing.Harness;
using ReadModelKit.Testing.Postgres;
using ReadModelKit.Testing.Waiting;

namespace CaseWorkspace.Tests;

public sealed class CaseListWaitTests
{
    [Fact]
    public async Task A_command_written_through_the_outbox_is_readable_once_the_wait_returns()
    {
        await using var schema = await PostgresTestSchema.CreateAsync();
        var sandbox = await ProjectionSandbox.CreateAsync(schema, CaseListTesting.Setup, "outbox");
        var name = sandbox.Applier.Contract.Name;
        var runner = new ProjectionRunner(sandbox.Store, name, new ProjectionRunnerOptions { NodeId = "sample-test", PartitionCount = 1 });
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => runner.RunAsync(stop.Token));
        try
        {
            await using var connection = await schema.DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var position = await sandbox.Store.Outbox.AppendAsync(connection, transaction, sandbox.Applier.Contract.Source.Name,
                [CaseListTesting.Event(CaseEventTypes.Opened, 11, 1, "open"), CaseListTesting.Event(CaseEventTypes.Assigned, 11, 2, "in_progress", "cy")]);
            await transaction.CommitAsync();

            await ProjectionWait.UntilAppliedAsync(sandbox.Store, name, position, TimeSpan.FromMinutes(1));

            Assert.Equal(["(acme, 11) v2 status='in_progress' assignee='cy' open_task_count=0"], (await sandbox.ReadRowsAsync()).Select(r => r.ToString()));
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }
}
