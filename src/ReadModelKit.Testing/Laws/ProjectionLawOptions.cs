namespace ReadModelKit.Testing.Laws;

/// <summary>How hard the projection laws try.</summary>
public sealed record ProjectionLawOptions
{
    /// <summary>Generated cases per law. Default 40: each case applies the history several times against PostgreSQL, so keep it small in CI.</summary>
    public int Cases { get; init; } = 40;

    /// <summary>The largest batch a delivery uses. Default 4.</summary>
    public int MaxBatchSize { get; init; } = 4;

    /// <summary>The server to use (a role that may create schemas); <see langword="null"/> (the default) uses <see cref="Postgres.ThrowawayPostgres.SharedAsync"/>.</summary>
    public string? ServerConnectionString { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1.</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Cases, 1, nameof(Cases));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
    }
}
