using System.Diagnostics;
using Npgsql;

namespace ReadModelKit.Testing.Postgres;

/// <summary>
/// A PostgreSQL server for tests, found or started in this order:
/// <list type="number">
/// <item>the connection string in the environment variable <c>READMODELKIT_CONNECTION</c> (never stopped by the tests);</item>
/// <item>a <c>postgres</c> container started through Testcontainers when a Docker engine answers;</item>
/// <item>a throwaway cluster from the PostgreSQL server binaries on this machine (PATH or /usr/lib/postgresql/*/bin),
/// on a temp data directory named <c>readmodelkit-pg-*</c> and a free port, run as the <c>postgres</c> user when the process is root.</item>
/// </list>
/// Containers and clusters are removed on <see cref="DisposeAsync"/> (and, for a cluster, when the process exits).
/// Give each test class its own schema on it with <see cref="PostgresTestSchema"/>.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    /// <summary>The environment variable that, when set, names the server to use.</summary>
    public const string ConnectionVariable = "READMODELKIT_CONNECTION";

    private static readonly Lazy<Task<ThrowawayPostgres>> Shared = new(CreateShared);
    private readonly Func<ValueTask>? _stop;
    private int _disposed;

    private ThrowawayPostgres(PostgresSource source, string connectionString, string description, Func<ValueTask>? stop)
    {
        Source = source;
        ConnectionString = connectionString;
        Description = description;
        _stop = stop;
    }

    /// <summary>Where the server came from.</summary>
    public PostgresSource Source { get; }

    /// <summary>The connection string of a superuser (or at least a role that may create schemas) on the server.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server came from, for logs.</summary>
    public string Description { get; }

    /// <summary>
    /// One server for the whole test process, started on first use (in the order <see cref="StartAsync(Action{string}?, CancellationToken)"/> tries)
    /// and removed when the process exits. Test classes share it through their own schemas.
    /// </summary>
    public static Task<ThrowawayPostgres> SharedAsync() => Shared.Value;

    /// <summary>Finds or starts a server: <see cref="ConnectionVariable"/>, else Testcontainers when a Docker engine answers, else the local server binaries.</summary>
    /// <param name="log">Receives progress lines (optional).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="PostgresUnavailableException">No way gave a server; the message names the three ways and what each said.</exception>
    public static async Task<ThrowawayPostgres> StartAsync(Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var failures = new List<string>();
        foreach (var source in (PostgresSource[])[PostgresSource.Environment, PostgresSource.Testcontainers, PostgresSource.LocalBinaries])
        {
            var server = await TryStartAsync(source, log ?? (_ => { }), failures, cancellationToken).ConfigureAwait(false);
            if (server is not null)
            {
                return server;
            }
        }

        throw new PostgresUnavailableException(failures);
    }

    /// <summary>Starts a server in one way only (for example to test the Testcontainers path on a machine that also has local binaries).</summary>
    /// <param name="source">The way to use.</param>
    /// <param name="log">Receives progress lines (optional).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="PostgresUnavailableException">That way gave no server; the message says why.</exception>
    public static async Task<ThrowawayPostgres> StartAsync(PostgresSource source, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var failures = new List<string>();
        return await TryStartAsync(source, log ?? (_ => { }), failures, cancellationToken).ConfigureAwait(false)
            ?? throw new PostgresUnavailableException(failures);
    }

    /// <summary>Stops and removes a server this object started; does nothing for one named by <see cref="ConnectionVariable"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _stop is not null)
        {
            await _stop().ConfigureAwait(false);
        }
    }

    /// <summary>Polls until the server accepts a connection, or <paramref name="timeout"/> passes.</summary>
    internal static async Task WaitUntilReadyAsync(string connectionString, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var connection = new NpgsqlConnection(connectionString);
                await using (connection.ConfigureAwait(false))
                {
                    await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
            catch (NpgsqlException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<ThrowawayPostgres?> TryStartAsync(PostgresSource source, Action<string> log, List<string> failures, CancellationToken cancellationToken)
    {
        switch (source)
        {
            case PostgresSource.Environment:
                var fromEnvironment = System.Environment.GetEnvironmentVariable(ConnectionVariable);
                if (string.IsNullOrWhiteSpace(fromEnvironment))
                {
                    failures.Add($"{ConnectionVariable}: not set");
                    return null;
                }

                log($"Using PostgreSQL from {ConnectionVariable}.");
                return new ThrowawayPostgres(source, fromEnvironment, ConnectionVariable, null);
            case PostgresSource.Testcontainers:
                var container = await ContainerPostgres.TryStartAsync(log, failures, cancellationToken).ConfigureAwait(false);
                return container is { } c ? new ThrowawayPostgres(source, c.ConnectionString, c.Description, c.Stop) : null;
            case PostgresSource.LocalBinaries:
                var cluster = await LocalCluster.TryStartAsync(log, failures, cancellationToken).ConfigureAwait(false);
                return cluster is null ? null : new ThrowawayPostgres(source, cluster.ConnectionString, cluster.Description, cluster.StopAsync);
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source, "Choose Environment, Testcontainers or LocalBinaries.");
        }
    }

    private static async Task<ThrowawayPostgres> CreateShared()
    {
        var server = await StartAsync().ConfigureAwait(false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
