using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ReadModelKit.Npgsql.Tests.Infrastructure;

/// <summary>
/// A TCP proxy in front of the shared PostgreSQL server that a test can cut (every open connection is dropped and new ones are
/// closed at once, as when the database is unreachable) and restore, without touching the server other tests use.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<TcpClient, TcpClient> _pairs = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _open;

    private TcpProxy(IPEndPoint target, bool open)
    {
        _target = target;
        _open = open;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Connections closed at once because the proxy was cut.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    /// <summary>Starts a proxy to the server behind <paramref name="db"/>, open or already cut.</summary>
    public static TcpProxy Start(PostgresSchemaFixture db, bool open = true)
    {
        var builder = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        return new TcpProxy(new IPEndPoint(IPAddress.Parse(builder.Host!), builder.Port), open);
    }

    /// <summary>The fixture's connection string, through this proxy; <paramref name="applicationName"/> tags its backends.</summary>
    public string ConnectionString(PostgresSchemaFixture db, string applicationName) =>
        new NpgsqlConnectionStringBuilder(db.ConnectionString)
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port,
            ApplicationName = applicationName,
            Timeout = 3,
        }.ConnectionString;

    /// <summary>Drops every connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        _open = false;
        foreach (var (client, server) in _pairs)
        {
            Close(client, server);
        }
    }

    /// <summary>Forwards new connections again.</summary>
    public void Restore() => _open = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (!_open)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                Interlocked.Increment(ref _refused);
                continue;
            }

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception)
            {
                Close(client, server);
                continue;
            }

            _pairs[client] = server;
            _ = PumpAsync(client, server);
        }
    }

    private async Task PumpAsync(TcpClient client, TcpClient server)
    {
        try
        {
            var up = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
            await Task.WhenAny(up, down);
        }
        catch (Exception)
        {
            // A cut or a closed side ends the pair.
        }
        finally
        {
            Close(client, server);
        }
    }

    private void Close(TcpClient client, TcpClient server)
    {
        _pairs.TryRemove(client, out _);
        foreach (var socket in new[] { client, server })
        {
            try
            {
                socket.Client.LingerState = new LingerOption(true, 0);
            }
            catch (Exception)
            {
                // Already closed.
            }

            socket.Dispose();
        }
    }
}
