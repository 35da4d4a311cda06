using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ReadModelKit.Benchmarks.Drift;

/// <summary>
/// A PostgreSQL server whose data outlives the benchmark process, so large tables are generated once and reused by later runs:
/// the server named by <c>READMODELKIT_CONNECTION</c> when set, else a local cluster in <c>$TMPDIR/readmodelkit-bench-pg</c>
/// (initialised on first use from the server binaries on PATH or under /usr/lib/postgresql, started for the run, stopped after it;
/// delete the directory to reclaim the disk). Same settings as the test clusters (256 MB shared buffers, no fsync).
/// </summary>
internal sealed class KeptPostgres : IAsyncDisposable
{
    private readonly string? _dataDirectory;
    private readonly Func<string, string[], Task>? _run;

    private KeptPostgres(string connectionString, string description, string? dataDirectory, Func<string, string[], Task>? run)
    {
        ConnectionString = connectionString;
        Description = description;
        _dataDirectory = dataDirectory;
        _run = run;
    }

    public string ConnectionString { get; }

    public string Description { get; }

    public static async Task<KeptPostgres> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("READMODELKIT_CONNECTION") is { Length: > 0 } given)
        {
            return new KeptPostgres(given, "the server of READMODELKIT_CONNECTION", null, null);
        }

        var bin = FindBinaries() ?? throw new InvalidOperationException("No initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin: install the PostgreSQL server, or set READMODELKIT_CONNECTION.");
        var root = Path.Combine(Path.GetTempPath(), "readmodelkit-bench-pg");
        var data = Path.Combine(root, "data");
        var asPostgres = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
        async Task Run(string tool, string[] arguments)
        {
            var path = Path.Combine(bin, tool);
            var start = asPostgres ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", path, .. arguments]) : new ProcessStartInfo(path, arguments);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {await output}{await error}");
            }
        }

        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            Directory.CreateDirectory(root);
            if (asPostgres)
            {
                using var chown = Process.Start("chown", ["postgres:postgres", root]);
                await chown.WaitForExitAsync();
            }

            await Run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"]);
        }

        var portFile = Path.Combine(root, "port");
        if (!File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            var free = FreePort();
            await File.WriteAllTextAsync(portFile, free.ToString(CultureInfo.InvariantCulture));
            var settings = $"-p {free} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=256MB -c max_wal_size=4GB";
            await Run("pg_ctl", ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "120", "-o", settings, "start"]);
        }

        var port = int.Parse(await File.ReadAllTextAsync(portFile), CultureInfo.InvariantCulture);
        var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Command Timeout=3600";
        await using (var probe = NpgsqlDataSource.Create(connectionString))
        {
            await using var command = probe.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync();
        }

        return new KeptPostgres(connectionString, $"kept cluster {root} on port {port}", data, Run);
    }

    /// <summary>Stops a cluster this process started or found (its data stays for the next run).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_dataDirectory is not null && _run is not null)
        {
            await _run("pg_ctl", ["-D", _dataDirectory, "-m", "fast", "-w", "stop"]);
        }
    }

    private static string? FindBinaries()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").Order(StringComparer.Ordinal).Reverse().Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
