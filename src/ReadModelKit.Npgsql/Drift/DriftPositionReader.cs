using Npgsql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Reads a stream position inside a drift check's snapshot: the source's position (for example the outbox high-water mark
/// the projection will reach once it has applied everything the source holds), or the projection's applied position.
/// </summary>
/// <param name="connection">The open connection, inside the check's REPEATABLE READ transaction.</param>
/// <param name="cancellationToken">Cancels the query.</param>
/// <returns>The position.</returns>
public delegate Task<long> DriftPositionReader(NpgsqlConnection connection, CancellationToken cancellationToken);
