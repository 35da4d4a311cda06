using Npgsql;
using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Runner;

/// <summary>The runner's reads and writes of its partitions' checkpoint rows (the applier moves them with each batch).</summary>
internal sealed class PartitionCheckpoints
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;
    private readonly string _projection;
    private readonly PartitionLeases _leases;

    public PartitionCheckpoints(NpgsqlDataSource dataSource, SqlIdentifier schema, string projectionName, PartitionLeases leases)
    {
        _dataSource = dataSource;
        _schema = schema;
        _projection = projectionName;
        _leases = leases;
    }

    public async Task<StreamPosition> LoadAsync(int partition, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"SELECT position FROM {_schema.Quoted}.checkpoint WHERE projection_name = $1 AND partition_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _projection });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return new StreamPosition(value is long position ? position : 0);
    }

    /// <summary>Records the partition's state and last error, if this node still holds the lease.</summary>
    public async Task SaveStateAsync(PartitionLease lease, ProjectionState state, string? lastError, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            UPDATE {_schema.Quoted}.checkpoint c SET state = $3, last_error = $4
            WHERE c.projection_name = $1 AND c.partition_id = $2
              AND EXISTS (SELECT 1 FROM {_schema.Quoted}.lease l
                          WHERE l.projection_name = $1 AND l.partition_id = $2 AND l.owner = $5 AND l.token = $6)
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = _projection });
        p.Add(new NpgsqlParameter<int> { TypedValue = lease.Partition });
        p.Add(new NpgsqlParameter<string> { TypedValue = state.ToString() });
        p.Add(new NpgsqlParameter<string?> { TypedValue = lastError, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string> { TypedValue = _leases.NodeId });
        p.Add(new NpgsqlParameter<long> { TypedValue = lease.Token });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves an idle partition's checkpoint from <paramref name="expected"/> to <paramref name="to"/> (just below the outbox horizon:
    /// every transaction below it has finished and none of them had events for the partition beyond the checkpoint), fenced.
    /// </summary>
    /// <returns>Whether the checkpoint moved (false when it was no longer at <paramref name="expected"/>).</returns>
    /// <exception cref="LeaseLostException">The lease was lost.</exception>
    public async Task<bool> AdvanceAsync(PartitionLease lease, StreamPosition expected, StreamPosition to, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await _leases.FenceAsync(connection, transaction, lease, cancellationToken).ConfigureAwait(false);
        using var command = new NpgsqlCommand($"""
            UPDATE {_schema.Quoted}.checkpoint SET position = $4, updated_at = $5
            WHERE projection_name = $1 AND partition_id = $2 AND position = $3
            """, connection, transaction);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = _projection });
        p.Add(new NpgsqlParameter<int> { TypedValue = lease.Partition });
        p.Add(new NpgsqlParameter<long> { TypedValue = expected.Value });
        p.Add(new NpgsqlParameter<long> { TypedValue = to.Value });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        var moved = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return moved;
    }
}
