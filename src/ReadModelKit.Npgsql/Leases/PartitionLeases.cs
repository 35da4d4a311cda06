using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Leases;

/// <summary>
/// The leases of one projection's partitions for one node, stored in PostgreSQL (<c>lease</c>, <c>runner_node</c>); expiry uses the
/// database clock, so nodes' clocks never matter. Every takeover increments the partition's fencing token, and every apply
/// transaction runs <see cref="FenceAsync"/> first: a node whose lease was taken over cannot commit (proof in docs/runner.md).
/// </summary>
internal sealed class PartitionLeases
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;
    private readonly string _projection;
    private readonly int _partitionCount;
    private readonly TimeSpan _duration;

    public PartitionLeases(NpgsqlDataSource dataSource, SqlIdentifier schema, string projectionName, int partitionCount, string nodeId, TimeSpan duration)
    {
        _dataSource = dataSource;
        _schema = schema;
        _projection = projectionName;
        _partitionCount = partitionCount;
        NodeId = nodeId;
        _duration = duration;
    }

    /// <summary>This node's id.</summary>
    public string NodeId { get; }

    /// <summary>
    /// Creates the lease rows of every partition on the projection's first start, and otherwise checks that the stored rows were
    /// created with this node's partition count. The check runs before anything is written, under a transaction-scoped advisory
    /// lock, so two nodes starting at once with different counts cannot both write rows.
    /// </summary>
    /// <exception cref="PartitionCountMismatchException">The projection was partitioned with another count (fewer or more partitions), or its rows disagree.</exception>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var batch = new NpgsqlBatch(connection, transaction);
        await using var batchScope = batch.ConfigureAwait(false);
        batch.BatchCommands.Add(Command(
            "SELECT pg_advisory_xact_lock(hashtext('readmodelkit.lease'), hashtext($1))",
            new NpgsqlParameter<string> { TypedValue = _projection }));
        // The CTE reads the rows as they were before the insert, which runs only for a projection without rows.
        batch.BatchCommands.Add(Command($"""
            WITH stored AS (
                SELECT count(*)::int4 AS n, min(partition_count) AS lo, max(partition_count) AS hi FROM {_schema.Quoted}.lease WHERE projection_name = $1
            ), created AS (
                INSERT INTO {_schema.Quoted}.lease (projection_name, partition_id, partition_count)
                SELECT $1, g, $2 FROM stored, generate_series(0, $2 - 1) g WHERE stored.n = 0
                ON CONFLICT DO NOTHING
            )
            SELECT n, coalesce(lo, $2), coalesce(hi, $2) FROM stored
            """, new NpgsqlParameter<string> { TypedValue = _projection }, new NpgsqlParameter<int> { TypedValue = _partitionCount }));
        int rows, lo, hi;
        using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (rows, lo, hi) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        }

        if (rows > 0 && (lo != hi || rows != hi))
        {
            throw PartitionCountMismatchException.Disagreeing(_projection, _partitionCount, rows, lo, hi);
        }

        if (rows > 0 && hi != _partitionCount)
        {
            throw new PartitionCountMismatchException(_projection, _partitionCount, hi);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Renews this node's membership and leases, then moves towards its fair share (ceil(partitions / live nodes)):
    /// releases the highest partitions above it, or claims free and expired ones below it.
    /// </summary>
    /// <param name="believed">The partitions the node thinks it holds, to report the ones it lost.</param>
    /// <param name="cancellationToken">Cancels the heartbeat.</param>
    public async Task<LeaseHeartbeat> HeartbeatAsync(IReadOnlyCollection<int> believed, CancellationToken cancellationToken)
    {
        var owned = new List<PartitionLease>();
        int live;
        var batch = _dataSource.CreateBatch();
        await using (batch.ConfigureAwait(false))
        {
            batch.BatchCommands.Add(Command($"""
                INSERT INTO {_schema.Quoted}.runner_node (projection_name, node_id, expires_at) VALUES ($1, $2, now() + $3)
                ON CONFLICT (projection_name, node_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
                """, Identity(withDuration: true)));
            batch.BatchCommands.Add(Command($"DELETE FROM {_schema.Quoted}.runner_node WHERE projection_name = $1 AND node_id <> $2 AND expires_at < now() - $3", Identity(withDuration: true)));
            batch.BatchCommands.Add(Command($"""
                UPDATE {_schema.Quoted}.lease SET expires_at = now() + $3
                WHERE projection_name = $1 AND owner = $2 AND expires_at > now()
                RETURNING partition_id, token
                """, Identity(withDuration: true)));
            batch.BatchCommands.Add(Command($"SELECT count(*)::int4 FROM {_schema.Quoted}.runner_node WHERE projection_name = $1 AND expires_at > now() AND node_id <> $2", Identity(withDuration: false)));
            using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                owned.Add(new PartitionLease(reader.GetInt32(0), reader.GetInt64(1)));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            live = reader.GetInt32(0) + 1;
        }

        var fairShare = (_partitionCount + live - 1) / live;
        var claimed = new List<int>();
        var released = new List<int>();
        if (owned.Count > fairShare)
        {
            var extras = owned.OrderByDescending(l => l.Partition).Take(owned.Count - fairShare).Select(l => l.Partition).ToArray();
            await ReleaseAsync(extras, cancellationToken).ConfigureAwait(false);
            released.AddRange(extras);
            owned.RemoveAll(l => extras.Contains(l.Partition));
        }
        else if (owned.Count < fairShare)
        {
            using var claim = _dataSource.CreateCommand($"""
                UPDATE {_schema.Quoted}.lease l
                SET owner = $2, token = l.token + 1, acquired_at = now(), expires_at = now() + $3
                FROM (
                    SELECT partition_id FROM {_schema.Quoted}.lease
                    WHERE projection_name = $1 AND (owner IS NULL OR expires_at IS NULL OR expires_at <= now())
                    ORDER BY owner IS NOT NULL, partition_id
                    LIMIT $4
                    FOR UPDATE SKIP LOCKED
                ) free
                WHERE l.projection_name = $1 AND l.partition_id = free.partition_id
                RETURNING l.partition_id, l.token
                """);
            claim.Parameters.AddRange(Identity(withDuration: true));
            claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = fairShare - owned.Count });
            using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var lease = new PartitionLease(reader.GetInt32(0), reader.GetInt64(1));
                owned.Add(lease);
                claimed.Add(lease.Partition);
            }
        }

        var lost = believed.Where(p => owned.All(l => l.Partition != p) && !released.Contains(p)).ToList();
        owned.Sort((a, b) => a.Partition.CompareTo(b.Partition));
        return new LeaseHeartbeat(owned, claimed, released, lost, live);
    }

    /// <summary>Releases every lease of this node and removes its membership (a clean stop hands the partitions over at once).</summary>
    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            WITH released AS (
                UPDATE {_schema.Quoted}.lease SET owner = NULL, expires_at = NULL
                WHERE projection_name = $1 AND owner = $2
            )
            DELETE FROM {_schema.Quoted}.runner_node WHERE projection_name = $1 AND node_id = $2
            """);
        command.Parameters.AddRange(Identity(withDuration: false));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The fence: inside the batch transaction, locks the lease row in FOR KEY SHARE mode if and only if this node still holds it
    /// with <paramref name="lease"/>'s token and it has not expired. A takeover changes the token (a key column), which needs a
    /// lock that conflicts with FOR KEY SHARE: it waits until this transaction ends, and after it commits this check fails.
    /// </summary>
    /// <exception cref="LeaseLostException">The lease was taken over or expired.</exception>
    public async Task FenceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PartitionLease lease, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"""
            SELECT 1 FROM {_schema.Quoted}.lease
            WHERE projection_name = $1 AND partition_id = $2 AND owner = $3 AND token = $4 AND expires_at > now()
            FOR KEY SHARE
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _projection });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = lease.Partition });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = NodeId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lease.Token });
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw new LeaseLostException(_projection, lease.Partition, NodeId, lease.Token);
        }
    }

    private async Task ReleaseAsync(int[] partitions, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            UPDATE {_schema.Quoted}.lease SET owner = NULL, expires_at = NULL
            WHERE projection_name = $1 AND owner = $2 AND partition_id = ANY($3)
            """);
        command.Parameters.AddRange(Identity(withDuration: false));
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private NpgsqlParameter[] Identity(bool withDuration) => withDuration
        ? [new NpgsqlParameter<string> { TypedValue = _projection }, new NpgsqlParameter<string> { TypedValue = NodeId }, new NpgsqlParameter<TimeSpan> { TypedValue = _duration }]
        : [new NpgsqlParameter<string> { TypedValue = _projection }, new NpgsqlParameter<string> { TypedValue = NodeId }];
}
