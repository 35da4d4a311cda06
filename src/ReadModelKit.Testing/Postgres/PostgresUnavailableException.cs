using ReadModelKit.Exceptions;

namespace ReadModelKit.Testing.Postgres;

/// <summary>No PostgreSQL server could be found or started for the tests; the message names the three ways to provide one and what each attempt said.</summary>
public sealed class PostgresUnavailableException : ReadModelKitException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="attempts">What each way said when it was tried.</param>
    public PostgresUnavailableException(IReadOnlyList<string> attempts)
        : base(
            "No PostgreSQL server is available for the tests. Provide one of:" + System.Environment.NewLine +
            $"  1. a connection string in the environment variable {ThrowawayPostgres.ConnectionVariable} (for example 'Host=localhost;Username=postgres;Password=…;Database=postgres');" + System.Environment.NewLine +
            $"  2. a running Docker engine (Testcontainers starts a {ContainerPostgres.Image} container);" + System.Environment.NewLine +
            "  3. the PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/<version>/bin (Debian: apt-get install postgresql)." + System.Environment.NewLine +
            "What was tried: " + string.Join("; ", attempts))
    {
        Attempts = attempts;
    }

    /// <summary>What each way said when it was tried.</summary>
    public IReadOnlyList<string> Attempts { get; }
}
