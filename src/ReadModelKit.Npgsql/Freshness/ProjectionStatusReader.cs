using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Leases;
using ReadModelKit.Npgsql.Rebuild;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Freshness;

/// <summary>Reads checkpoints, pending outbox events, leases, the oldest writing transaction and an active rebuild in one round trip.</summary>
internal sealed class ProjectionStatusReader
{
    /// <summary>The most pending events one status read scans.</summary>
    public const int PendingCap = 100_000;

    private static readonly ProjectionState[] Severity =
        [ProjectionState.Retired, ProjectionState.Faulted, ProjectionState.Paused, ProjectionState.Rebuilding, ProjectionState.Stale, ProjectionState.CatchingUp, ProjectionState.Live];

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly string _partitions;
    private readonly string _cluster;
    private readonly string _passed;
    private readonly string _rebuild;

    public ProjectionStatusReader(NpgsqlDataSource dataSource, SqlIdentifier schema, TimeProvider time)
    {
        _dataSource = dataSource;
        _time = time;
        var s = schema.Quoted;
        // $1 projection, $2 stream, $3 whether the source is the outbox. The partition count comes from the lease rows (1 without runners).
        var common = $"""
            n AS (
                SELECT coalesce(max(partition_count), 1) AS n FROM {s}.lease WHERE projection_name = $1
            ), cp AS (
                SELECT c.* FROM {s}.checkpoint c, n
                WHERE c.projection_name = $1 AND c.track = '' AND (c.partition_id < n.n OR NOT $3)
            )
            """;
        _partitions = $"""
            WITH {common}, h AS MATERIALIZED (
                SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
            ), scan AS (
                SELECT {Partitioning.Of("o.ordering_key", "n.n")} AS partition_id, o.tx_id, o.occurred_at
                FROM {s}.outbox o, n
                WHERE $3 AND o.stream = $2 AND o.tx_id > (SELECT coalesce(min(position), 0) FROM cp)::text::xid8
                ORDER BY o.tx_id
                LIMIT {PendingCap}
            ), pend AS (
                SELECT x.partition_id, count(*) AS pending, min(x.occurred_at) AS oldest,
                       count(*) FILTER (WHERE x.tx_id >= (SELECT xmin FROM h)) AS held
                FROM scan x JOIN cp ON cp.partition_id = x.partition_id
                WHERE x.tx_id > cp.position::text::xid8
                GROUP BY x.partition_id
            )
            SELECT cp.partition_id, cp.position, cp.last_source_time, cp.projected_at,
                   CASE WHEN pc.paused THEN 'Paused' ELSE cp.state END, cp.last_error, cp.updated_at,
                   coalesce(p.pending, 0), coalesce(p.held, 0), p.oldest, l.owner, l.expires_at, coalesce(l.expires_at > now(), false),
                   (SELECT count(*) FROM scan) >= {PendingCap}
            FROM cp
            LEFT JOIN pend p ON p.partition_id = cp.partition_id
            LEFT JOIN {s}.lease l ON l.projection_name = $1 AND l.partition_id = cp.partition_id
            LEFT JOIN {s}.partition_control pc ON pc.projection_name = $1 AND pc.partition_id = cp.partition_id
            ORDER BY cp.partition_id
            """;
        _cluster = $"""
            SELECT (SELECT count(*)::int4 FROM {s}.runner_node WHERE projection_name = $1 AND expires_at > now()),
                   a.pid, a.datname, a.application_name, a.state, a.xact_start, clock_timestamp() - a.xact_start
            FROM (SELECT 1) one
            LEFT JOIN LATERAL (
                SELECT * FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY age(backend_xid) DESC LIMIT 1
            ) a ON true
            """;
        _rebuild = RebuildRunStore.ActiveRunSql(schema);
        // Passed = no committed event of the stream from a transaction at or before $4 is beyond its partition's checkpoint.
        _passed = $"""
            WITH {common}
            SELECT CASE WHEN $3 THEN NOT EXISTS (
                SELECT 1 FROM {s}.outbox o, n
                WHERE o.stream = $2 AND o.tx_id <= $4::text::xid8
                  AND o.tx_id > (SELECT coalesce(min(position), 0) FROM cp)::text::xid8
                  AND o.tx_id > coalesce((SELECT cp.position FROM cp WHERE cp.partition_id = {Partitioning.Of("o.ordering_key", "n.n")}), 0)::text::xid8
            ) ELSE (SELECT coalesce(min(position), 0) FROM cp) >= $4 END
            """;
    }

    public async Task<ProjectionStatus> ReadAsync(ProjectionContract contract, CancellationToken cancellationToken)
    {
        var partitions = new List<PartitionStatus>();
        var capped = false;
        int liveNodes;
        WatermarkHolder? holder = null;
        ActiveRebuild? rebuild = null;
        var batch = _dataSource.CreateBatch();
        await using (batch.ConfigureAwait(false))
        {
            var first = new NpgsqlBatchCommand(_partitions);
            AddSource(first.Parameters, contract);
            var second = new NpgsqlBatchCommand(_cluster);
            second.Parameters.Add(new NpgsqlParameter<string> { TypedValue = contract.Name });
            var third = new NpgsqlBatchCommand(_rebuild);
            third.Parameters.Add(new NpgsqlParameter<string> { TypedValue = contract.Name });
            batch.BatchCommands.Add(first);
            batch.BatchCommands.Add(second);
            batch.BatchCommands.Add(third);
            using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                partitions.Add(new PartitionStatus(
                    Partition: reader.GetInt32(0),
                    Position: new StreamPosition(reader.GetInt64(1)),
                    LastSourceTime: reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                    ProjectedAt: reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                    State: Enum.TryParse<ProjectionState>(reader.GetString(4), out var state) ? state : ProjectionState.CatchingUp,
                    LastError: reader.IsDBNull(5) ? null : reader.GetString(5),
                    UpdatedAt: reader.GetFieldValue<DateTimeOffset>(6),
                    PendingEvents: reader.GetInt64(7),
                    HeldBackEvents: reader.GetInt64(8),
                    OldestPendingAt: reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                    Owner: reader.IsDBNull(10) ? null : reader.GetString(10),
                    LeaseExpiresAt: reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
                    LeaseLive: reader.GetBoolean(12)));
                capped |= reader.GetBoolean(13);
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            liveNodes = reader.GetInt32(0);
            if (!reader.IsDBNull(1))
            {
                holder = new WatermarkHolder(
                    reader.GetInt32(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? TimeSpan.Zero : reader.GetTimeSpan(6));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rebuild = RebuildRunStore.ReadActive(reader);
            }
        }

        var states = partitions.Select(p => p.State).ToList();
        if (rebuild?.Lifecycle == ProjectionState.Rebuilding)
        {
            states.Add(ProjectionState.Rebuilding);
        }

        return new ProjectionStatus
        {
            ProjectionName = contract.Name,
            State = states.Count == 0 ? ProjectionLifecycle.Initial : Severity.First(states.Contains),
            RebuildInProgress = rebuild,
            Partitions = partitions,
            PendingCapped = capped,
            OldestWriter = holder,
            LiveNodes = liveNodes,
            ReadAt = _time.GetUtcNow(),
        };
    }

    /// <summary>Whether every committed event at or before <paramref name="position"/> that the projection reads has been applied.</summary>
    public async Task<bool> HasPassedAsync(ProjectionContract contract, StreamPosition position, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand(_passed);
        AddSource(command.Parameters, contract);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position.Value });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static void AddSource(NpgsqlParameterCollection parameters, ProjectionContract contract)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = contract.Name });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = contract.Source.Name });
        parameters.Add(new NpgsqlParameter<bool> { TypedValue = contract.Source.Kind == SourceKind.Outbox });
    }
}
