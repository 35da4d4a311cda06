namespace ReadModelKit.PostgresHarness;

/// <summary>Starts a throwaway postgres container when a Docker engine answers.</summary>
internal static class DockerPostgres
{
    public static async Task<(string ConnectionString, string Description, Func<ValueTask> Stop)?> TryStartAsync(
        Action<string> log, List<string> failures, CancellationToken cancellationToken)
    {
        var info = await ProcessRunner.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        if (info.ExitCode != 0)
        {
            failures.Add("Docker: no engine answered");
            return null;
        }

        const string password = "readmodelkit";
        var run = await ProcessRunner.RunAsync(
            "docker",
            ["run", "-d", "--rm", "-e", $"POSTGRES_PASSWORD={password}", "-p", "127.0.0.1::5432", "postgres:15-alpine", "-c", "fsync=off", "-c", "max_connections=300"],
            TimeSpan.FromMinutes(5),
            cancellationToken).ConfigureAwait(false);
        if (run.ExitCode != 0)
        {
            failures.Add("Docker: 'docker run postgres' failed: " + run.Output.Trim());
            return null;
        }

        var container = run.Output.Trim().Split('\n').Last().Trim();
        Func<ValueTask> stop = async () => await ProcessRunner.RunAsync("docker", ["rm", "-f", container], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        var port = await ProcessRunner.RunAsync("docker", ["port", container, "5432/tcp"], TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        var hostPort = port.Output.Trim().Split('\n')[0].Split(':').Last();
        var connectionString = $"Host=127.0.0.1;Port={hostPort};Username=postgres;Password={password};Database=postgres";
        try
        {
            await PostgresServer.WaitUntilReadyAsync(connectionString, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await stop().ConfigureAwait(false);
            failures.Add("Docker: container did not accept connections: " + ex.Message);
            return null;
        }

        log($"Started PostgreSQL container {container[..Math.Min(12, container.Length)]} on port {hostPort}.");
        return (connectionString, $"docker container {container[..Math.Min(12, container.Length)]}", stop);
    }
}
