using System.Net.Sockets;
using System.Text;

namespace ReadModelKit.Testing.Postgres;

/// <summary>Asks the Docker engine named by <c>DOCKER_HOST</c> (or the default local socket) whether it answers, within a short timeout.</summary>
public static class DockerEngine
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Whether a Docker engine answers its <c>/_ping</c> endpoint; when not, <paramref name="reason"/> says why.</summary>
    /// <param name="reason">Why no engine answered, or <see langword="null"/> when one did.</param>
    public static bool Answers(out string? reason)
    {
        var endpoints = Endpoints();
        var tried = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var error = Ping(endpoint);
            if (error is null)
            {
                reason = null;
                return true;
            }

            tried.Add($"{endpoint}: {error}");
        }

        reason = "no Docker engine answered (" + string.Join("; ", tried) + ")";
        return false;
    }

    private static List<string> Endpoints()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrWhiteSpace(host))
        {
            return [host];
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return ["unix:///var/run/docker.sock", $"unix://{home}/.docker/run/docker.sock", $"unix://{home}/.docker/desktop/docker.sock"];
    }

    private static string? Ping(string endpoint)
    {
        try
        {
            using var socket = Connect(endpoint);
            if (socket is null)
            {
                return "not a unix:// or tcp:// endpoint";
            }

            socket.ReceiveTimeout = (int)ProbeTimeout.TotalMilliseconds;
            socket.SendTimeout = (int)ProbeTimeout.TotalMilliseconds;
            socket.Send(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"));
            var buffer = new byte[64];
            var read = socket.Receive(buffer);
            var status = Encoding.ASCII.GetString(buffer, 0, read);
            return status.StartsWith("HTTP/1.", StringComparison.Ordinal) && status.Contains(" 200", StringComparison.Ordinal)
                ? null
                : "answered '" + status.Split('\n')[0].Trim() + "'";
        }
        catch (SocketException ex)
        {
            return ex.Message;
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    private static Socket? Connect(string endpoint)
    {
        if (endpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = endpoint["unix://".Length..];
            if (!File.Exists(path))
            {
                throw new IOException("socket file not found");
            }

            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            ConnectWithin(unix, new UnixDomainSocketEndPoint(path));
            return unix;
        }

        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal) && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            ConnectWithin(tcp, new System.Net.DnsEndPoint(uri.Host, uri.Port));
            return tcp;
        }

        return null;
    }

    private static void ConnectWithin(Socket socket, System.Net.EndPoint endpoint)
    {
        try
        {
            if (!socket.ConnectAsync(endpoint).Wait(ProbeTimeout))
            {
                throw new IOException($"no answer within {ProbeTimeout.TotalSeconds:0} s");
            }
        }
        catch (AggregateException ex) when (ex.InnerException is SocketException socketError)
        {
            socket.Dispose();
            throw socketError;
        }
        catch (IOException)
        {
            socket.Dispose();
            throw;
        }
    }
}
