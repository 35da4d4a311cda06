using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ReadModelKit.Testing.Postgres;

/// <summary>A throwaway PostgreSQL cluster started from the server binaries on this machine and removed on stop.</summary>
internal sealed class LocalCluster
{
    /// <summary>The prefix of every cluster directory under the temp path (CI cleans up after crashed test hosts by it).</summary>
    public const string DirectoryPrefix = "readmodelkit-pg-";

    private static readonly TimeSpan StoppedLongEnough = TimeSpan.FromMinutes(5);

    private readonly string _binDirectory;
    private readonly string _root;
    private readonly bool _asPostgresUser;
    private int _stopped;

    private LocalCluster(string binDirectory, string root, bool asPostgresUser, int port)
    {
        _binDirectory = binDirectory;
        _root = root;
        _asPostgresUser = asPostgresUser;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Maximum Pool Size=100";
        Description = $"throwaway cluster {root} on port {port}";
    }

    public string ConnectionString { get; }

    public string Description { get; }

    private string DataDirectory => Path.Combine(_root, "data");

    public static async Task<LocalCluster?> TryStartAsync(Action<string> log, List<string> failures, CancellationToken cancellationToken)
    {
        var bin = FindBinaries();
        if (bin is null)
        {
            failures.Add("local binaries: initdb/pg_ctl not found on PATH or under /usr/lib/postgresql/*/bin");
            return null;
        }

        RemoveStoppedClusters();
        var asPostgres = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
        var root = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (asPostgres)
        {
            var chown = await ProcessRunner.RunAsync("chown", ["postgres:postgres", root], TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            if (chown.ExitCode != 0)
            {
                failures.Add($"local binaries: running as root, but could not hand {root} to the postgres user: {chown.Output.Trim()}");
                TryDelete(root);
                return null;
            }
        }

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var cluster = new LocalCluster(bin, root, asPostgres, FreePort());
            var error = await cluster.InitAndStartAsync(attempt == 1, cancellationToken).ConfigureAwait(false);
            if (error is null)
            {
                await ThrowawayPostgres.WaitUntilReadyAsync(cluster.ConnectionString, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAsync().AsTask().GetAwaiter().GetResult();
                log($"Started a throwaway PostgreSQL ({bin}) in {root}.");
                return cluster;
            }

            if (attempt == 3)
            {
                failures.Add("local binaries: " + error);
            }
        }

        TryDelete(root);
        return null;
    }

    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None).ConfigureAwait(false);
        TryDelete(_root);
    }

    private async Task<string?> InitAndStartAsync(bool init, CancellationToken cancellationToken)
    {
        if (init)
        {
            var initdb = await RunAsync("initdb", ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"], cancellationToken).ConfigureAwait(false);
            if (initdb.ExitCode != 0)
            {
                return "initdb failed: " + initdb.Output.Trim();
            }
        }

        var port = ConnectionString.Split(';')[1]["Port=".Length..];
        var settings = string.Join(' ',
            $"-p {port}",
            $"-k {_root}",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=300",
            "-c shared_buffers=256MB");
        var start = await RunAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", settings, "start"], cancellationToken).ConfigureAwait(false);
        return start.ExitCode == 0 ? null : "pg_ctl start failed: " + start.Output.Trim() + ReadLog();
    }

    private string ReadLog()
    {
        try
        {
            return Environment.NewLine + File.ReadAllText(Path.Combine(_root, "server.log"));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _asPostgresUser
            ? ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], TimeSpan.FromMinutes(2), cancellationToken)
            : ProcessRunner.RunAsync(path, arguments, TimeSpan.FromMinutes(2), cancellationToken);
    }

    private static string? FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .ToList();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>
    /// Removes cluster directories a killed test host left behind: no server runs on them (no postmaster.pid) and they have not
    /// changed for a while, so no other process is still creating them.
    /// </summary>
    private static void RemoveStoppedClusters()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            var stopped = !File.Exists(Path.Combine(directory, "data", "postmaster.pid"));
            if (stopped && DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) > StoppedLongEnough)
            {
                TryDelete(directory);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
