using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Runner;

namespace CaseWorkspace;

/// <summary>How an application hosts the runner: one background service per projection (shown in docs/runner.md).</summary>
public sealed class CaseListRunnerService(NpgsqlReadModelStore store, ILoggerFactory loggers) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        new ProjectionRunner(store, "case_list_read_model", new ProjectionRunnerOptions { PartitionCount = 4 }, loggers: loggers)
            .RunAsync(stoppingToken);
}
