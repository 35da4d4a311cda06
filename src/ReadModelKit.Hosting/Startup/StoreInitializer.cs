using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReadModelKit.Hosting.Diagnostics;
using ReadModelKit.Npgsql;

namespace ReadModelKit.Hosting.Startup;

/// <summary>
/// Initializes the store while the host is starting, before any hosted service's <c>StartAsync</c> (it is registered first, and
/// <see cref="IHostedLifecycleService.StartingAsync"/> runs for every service before any starts). A failure ends host start-up
/// with the store's full message.
/// </summary>
internal sealed class StoreInitializer(NpgsqlReadModelStore store, IOptions<ReadModelKitHostingOptions> options, ILogger<StoreInitializer> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.InitializeOnStart)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HostingLog.StoreInitializationFailed(logger, ex.Message, ex);
            throw;
        }

        HostingLog.StoreInitialized(logger, clock.Elapsed.TotalMilliseconds);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
