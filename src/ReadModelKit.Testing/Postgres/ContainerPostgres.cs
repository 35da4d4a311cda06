using Testcontainers.PostgreSql;

namespace ReadModelKit.Testing.Postgres;

/// <summary>Starts a throwaway <c>postgres</c> container through Testcontainers when a Docker engine answers.</summary>
internal static class ContainerPostgres
{
    /// <summary>The image started; the server major version matches the local-binaries fallback the project is tested on.</summary>
    public const string Image = "postgres:15-alpine";

    public static async Task<(string ConnectionString, string Description, Func<ValueTask> Stop)?> TryStartAsync(
        Action<string> log, List<string> failures, CancellationToken cancellationToken)
    {
        if (!DockerEngine.Answers(out var reason))
        {
            failures.Add("Testcontainers: " + reason);
            return null;
        }

        var container = new PostgreSqlBuilder(Image)
            .WithCommand("-c", "fsync=off", "-c", "max_connections=300")
            .Build();
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any failure to start the container means: try the next way, and report why.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await container.DisposeAsync().ConfigureAwait(false);
            failures.Add("Testcontainers: the postgres container did not start: " + ex.Message);
            return null;
        }

        log($"Started PostgreSQL container {container.Id[..Math.Min(12, container.Id.Length)]} through Testcontainers.");
        return (container.GetConnectionString(), $"Testcontainers container {container.Id[..Math.Min(12, container.Id.Length)]}", container.DisposeAsync);
    }
}
