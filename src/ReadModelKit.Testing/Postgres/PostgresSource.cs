namespace ReadModelKit.Testing.Postgres;

/// <summary>Where a <see cref="ThrowawayPostgres"/> came from.</summary>
public enum PostgresSource
{
    /// <summary>The connection string in <see cref="ThrowawayPostgres.ConnectionVariable"/>; the server is not stopped afterwards.</summary>
    Environment,

    /// <summary>A <c>postgres</c> container started through Testcontainers, removed on dispose.</summary>
    Testcontainers,

    /// <summary>A cluster started from the PostgreSQL server binaries on this machine, removed on dispose.</summary>
    LocalBinaries,
}
