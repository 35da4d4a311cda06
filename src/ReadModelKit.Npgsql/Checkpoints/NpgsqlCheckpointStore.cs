using Npgsql;
using ReadModelKit.Checkpoints;
using ReadModelKit.Events;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Checkpoints;

/// <summary>
/// The PostgreSQL owner of the <c>checkpoint</c> table: the only component that creates or writes its rows. The apply batch
/// statement advances a checkpoint with SQL this class hands out (<see cref="BatchPositionSql"/>, <see cref="BatchAdvanceSql"/>),
/// so a batch and its checkpoint still commit in one round trip. Fenced writes check the partition's lease in the same statement.
/// </summary>
public sealed class NpgsqlCheckpointStore : ICheckpointStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;
    private readonly TimeProvider _time;
    private readonly string _ensure;
    private readonly string _select;
    private readonly string _advance;
    private readonly string _recordState;

    internal NpgsqlCheckpointStore(NpgsqlDataSource dataSource, SqlIdentifier schema, TimeProvider time)
    {
        _dataSource = dataSource;
        _schema = schema;
        _time = time;
        var s = schema.Quoted;
        _ensure = $"""
            INSERT INTO {s}.checkpoint (projection_name, track, partition_id)
            SELECT $1, $2, unnest($3::int4[])
            ON CONFLICT DO NOTHING
            """;
        _select = $"""
            SELECT partition_id, position, last_source_time, projected_at, state, last_error, updated_at
            FROM {s}.checkpoint WHERE projection_name = $1 AND track = $2 AND ($3 IS NULL OR partition_id = $3)
            ORDER BY partition_id
            """;
        // $1 projection, $2 track, $3 partition, $4 lease owner, $5 token; the fence locks the lease row like an apply batch does.
        var fence = $"""
            fence AS MATERIALIZED (
                SELECT 1 FROM {s}.lease
                WHERE projection_name = $1 AND partition_id = $3 AND owner = $4 AND token = $5 AND expires_at > now()
                FOR KEY SHARE
            )
            """;
        _advance = $"""
            WITH {fence}, written AS (
                UPDATE {s}.checkpoint SET position = $7, updated_at = $8
                WHERE projection_name = $1 AND track = $2 AND partition_id = $3 AND position = $6 AND EXISTS (SELECT 1 FROM fence)
                RETURNING 1
            )
            SELECT EXISTS (SELECT 1 FROM fence), EXISTS (SELECT 1 FROM written)
            """;
        _recordState = $"""
            WITH {fence}, written AS (
                UPDATE {s}.checkpoint SET state = $6, last_error = $7
                WHERE projection_name = $1 AND track = $2 AND partition_id = $3 AND EXISTS (SELECT 1 FROM fence)
                RETURNING 1
            )
            SELECT EXISTS (SELECT 1 FROM fence), EXISTS (SELECT 1 FROM written)
            """;
    }

    /// <inheritdoc />
    public Task EnsureAsync(CheckpointSet set, int partitionCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        return EnsurePartitionsAsync(set, Enumerable.Range(0, partitionCount).ToArray(), cancellationToken);
    }

    /// <summary>Creates one partition's checkpoint at the start of the stream unless it exists (a broker source may use any partition number).</summary>
    internal Task EnsurePartitionAsync(CheckpointSet set, int partition, CancellationToken cancellationToken) =>
        EnsurePartitionsAsync(set, [partition], cancellationToken);

    /// <inheritdoc />
    public async Task<PartitionCheckpoint?> LoadAsync(CheckpointSet set, int partition, CancellationToken cancellationToken = default)
    {
        var rows = await SelectAsync(set, partition, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PartitionCheckpoint>> ListAsync(CheckpointSet set, CancellationToken cancellationToken = default) =>
        SelectAsync(set, partition: null, cancellationToken);

    /// <inheritdoc />
    public async Task<CheckpointWrite> AdvanceAsync(CheckpointSet set, int partition, StreamPosition expected, StreamPosition to, CheckpointFence fence, CancellationToken cancellationToken = default)
    {
        if (to < expected)
        {
            throw new ArgumentOutOfRangeException(nameof(to), to, $"A checkpoint never moves backwards: the checkpoint of {set} partition {partition} cannot go from {expected} to {to}.");
        }

        using var command = FencedCommand(_advance, set, partition, fence);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = to.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = _time.GetUtcNow().UtcDateTime });
        return await ExecuteFencedAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<CheckpointWrite> RecordStateAsync(CheckpointSet set, int partition, ProjectionState state, string? lastError, CheckpointFence fence, CancellationToken cancellationToken = default)
    {
        using var command = FencedCommand(_recordState, set, partition, fence);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state.ToString() });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = lastError, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await ExecuteFencedAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes every checkpoint of a track that is no longer needed (a rebuild's, once it caught up or ended) inside the caller's
    /// transaction, so it no longer holds outbox pruning back. The live track is never removed.
    /// </summary>
    /// <param name="connection">The caller's connection.</param>
    /// <param name="transaction">The caller's transaction.</param>
    /// <param name="set">The checkpoint set; not the live track.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    internal async Task DeleteTrackAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CheckpointSet set, CancellationToken cancellationToken)
    {
        if (set.Track == CheckpointSet.LiveTrack)
        {
            throw new ArgumentException($"The live checkpoints of projection '{set.Projection}' are never removed.", nameof(set));
        }

        using var command = new NpgsqlCommand($"DELETE FROM {_schema.Quoted}.checkpoint WHERE projection_name = $1 AND track = $2", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Projection });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Track });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The SQL of a batch statement's CTE body reading the partition's current position (no row: no checkpoint yet).</summary>
    /// <param name="projection">The parameter holding the projection name.</param>
    /// <param name="track">The parameter holding the track.</param>
    /// <param name="partition">The parameter holding the partition.</param>
    internal string BatchPositionSql(string projection, string track, string partition) =>
        $"SELECT position FROM {_schema.Quoted}.checkpoint WHERE projection_name = {projection} AND track = {track} AND partition_id = {partition}";

    /// <summary>
    /// The SQL of a batch statement's CTE body advancing the partition's checkpoint to at least <paramref name="position"/> if it is still at
    /// <paramref name="expected"/> (or when that is NULL), returning the new position; no row returned means the compare-and-set failed.
    /// </summary>
    internal string BatchAdvanceSql(string projection, string track, string partition, string expected, string position, string lastSourceTime, string now) => $"""
        UPDATE {_schema.Quoted}.checkpoint c
        SET position = greatest(c.position, {position}),
            last_source_time = CASE WHEN {lastSourceTime}::timestamptz IS NULL THEN c.last_source_time ELSE greatest(c.last_source_time, {lastSourceTime}) END,
            projected_at = {now},
            updated_at = {now}
        WHERE c.projection_name = {projection} AND c.track = {track} AND c.partition_id = {partition}
          AND ({expected} IS NULL OR c.position = {expected})
        RETURNING c.position
        """;

    private async Task EnsurePartitionsAsync(CheckpointSet set, int[] partitions, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand(_ensure);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Projection });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Track });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = partitions });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<PartitionCheckpoint>> SelectAsync(CheckpointSet set, int? partition, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand(_select);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Projection });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Track });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = partition is { } p ? p : DBNull.Value });
        var rows = new List<PartitionCheckpoint>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new PartitionCheckpoint(
                reader.GetInt32(0),
                new StreamPosition(reader.GetInt64(1)),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                Enum.TryParse<ProjectionState>(reader.GetString(4), out var state) ? state : ProjectionState.CatchingUp,
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return rows;
    }

    private NpgsqlCommand FencedCommand(string sql, CheckpointSet set, int partition, CheckpointFence fence)
    {
        var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Projection });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = set.Track });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fence.Owner });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fence.Token });
        return command;
    }

    private static async Task<CheckpointWrite> ExecuteFencedAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return !reader.GetBoolean(0) ? CheckpointWrite.Fenced : reader.GetBoolean(1) ? CheckpointWrite.Written : CheckpointWrite.Conflict;
    }
}
