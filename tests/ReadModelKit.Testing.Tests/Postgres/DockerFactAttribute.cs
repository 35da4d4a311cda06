using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Testing.Tests.Postgres;

/// <summary>A fact that runs only when a Docker engine answers; otherwise it is reported as skipped, with the probe's reason.</summary>
public sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute()
    {
        if (!DockerEngine.Answers(out var reason))
        {
            Skip = "Needs a Docker engine for Testcontainers: " + reason;
        }
    }
}
