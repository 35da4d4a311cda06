using System.Diagnostics;
using Npgsql;

namespace ReadModelKit.PostgresHarness;

/// <summary>
/// A PostgreSQL server for tests, benchmarks and samples, found or started in this order:
/// <list type="number">
/// <item>the connection string in the environment variable <c>READMODELKIT_CONNECTION</c>;</item>
/// <item>a <c>postgres</c> container when a Docker engine answers (Testcontainers' approach, driven through the docker CLI);</item>
/// <item>a throwaway cluster from the PostgreSQL server binaries on this machine (PATH or /usr/lib/postgresql/*/bin),
/// on a temp data directory and a free port, run as the <c>postgres</c> user when the process is root, removed on dispose.</item>
/// </list>
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The environment variable that, when set, names the server to use.</summary>
    public const string ConnectionVariable = "READMODELKIT_CONNECTION";

    private readonly Func<ValueTask>? _stop;
    private int _disposed;

    private PostgresServer(string connectionString, string description, Func<ValueTask>? stop)
    {
        ConnectionString = connectionString;
        Description = description;
        _stop = stop;
    }

    /// <summary>The connection string of the server.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server came from, for logs.</summary>
    public string Description { get; }

    /// <summary>Finds or starts a server.</summary>
    /// <param name="log">Receives progress lines (optional).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="InvalidOperationException">No way to get a server; the message lists the three ways.</exception>
    public static async Task<PostgresServer> StartAsync(Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        log ??= _ => { };
        var fromEnvironment = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            log($"Using PostgreSQL from {ConnectionVariable}.");
            return new PostgresServer(fromEnvironment, $"{ConnectionVariable}", null);
        }

        var failures = new List<string>();
        var docker = await DockerPostgres.TryStartAsync(log, failures, cancellationToken).ConfigureAwait(false);
        if (docker is not null)
        {
            return new PostgresServer(docker.Value.ConnectionString, docker.Value.Description, docker.Value.Stop);
        }

        var local = await LocalCluster.TryStartAsync(log, failures, cancellationToken).ConfigureAwait(false);
        if (local is not null)
        {
            return new PostgresServer(local.ConnectionString, local.Description, local.StopAsync);
        }

        throw new InvalidOperationException(
            "No PostgreSQL server is available. Provide one of:" + Environment.NewLine +
            $"  1. a connection string in the environment variable {ConnectionVariable} (for example 'Host=localhost;Username=postgres;Password=…;Database=postgres');" + Environment.NewLine +
            "  2. a running Docker engine (a postgres:15 container is started);" + Environment.NewLine +
            "  3. the PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/<version>/bin (Debian: apt-get install postgresql)." + Environment.NewLine +
            "What was tried: " + string.Join("; ", failures));
    }

    /// <summary>Opens and returns a connection, checking the server answers.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    internal static async Task WaitUntilReadyAsync(string connectionString, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops and removes a server this process started; does nothing for an external one.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _stop is not null)
        {
            await _stop().ConfigureAwait(false);
        }
    }
}
