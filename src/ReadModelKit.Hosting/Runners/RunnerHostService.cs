using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReadModelKit.Hosting.Diagnostics;
using ReadModelKit.Npgsql.Runner;

namespace ReadModelKit.Hosting.Runners;

/// <summary>Runs this node's projection runners until the host stops; they then release their partitions. A runner that fails stops the others and the host.</summary>
internal sealed class RunnerHostService(HostedRunners runners, ILogger<RunnerHostService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (runners.ProjectionNames.Count == 0)
        {
            return;
        }

        var all = runners.Create();
        HostingLog.HostedRunnersStarting(logger, all.Count, string.Join(", ", runners.ProjectionNames));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        await Task.WhenAll(all.Select(r => RunAsync(r, stop))).ConfigureAwait(false);
    }

    private async Task RunAsync(ProjectionRunner runner, CancellationTokenSource stop)
    {
        try
        {
            await runner.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            HostingLog.HostedRunnerFailed(logger, runner.ProjectionName, ex);
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }
}
