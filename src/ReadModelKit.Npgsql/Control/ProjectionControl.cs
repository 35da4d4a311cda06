using System.Globalization;
using Npgsql;
using ReadModelKit.Lifecycle;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Control;

/// <summary>
/// Operational control of outbox-fed projections, stored in PostgreSQL (the <c>partition_control</c> table, written only here) and
/// obeyed by every <see cref="Runner.ProjectionRunner"/> node within <see cref="Runner.ProjectionRunnerOptions.ControlPollInterval"/>:
/// pause and resume a projection or one partition, and restart a faulted partition once its cause is fixed (or its dead letter skipped)
/// without restarting any process. Each call returns the partitions it changed.
/// </summary>
public sealed class ProjectionControl
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;
    private readonly NpgsqlReadModelStore _store;

    /// <summary>Creates the control of the projections of <paramref name="store"/> (also available as <see cref="NpgsqlReadModelStore.Control"/>).</summary>
    /// <param name="store">The initialized store.</param>
    public ProjectionControl(NpgsqlReadModelStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _dataSource = store.DataSource;
        _schema = store.SchemaIdentifier;
    }

    /// <summary>Pauses <paramref name="projectionName"/> (every partition) or one partition: runners stop applying it and report it <c>Paused</c>. Pausing what is paused changes nothing.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="partition">One partition, or null for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partitions now paused by this request.</returns>
    /// <exception cref="ProjectionControlException">The projection or partition does not exist.</exception>
    public async Task<IReadOnlyList<int>> PauseAsync(string projectionName, int? partition = null, CancellationToken cancellationToken = default)
    {
        var count = await PartitionCountAsync(projectionName, partition, cancellationToken).ConfigureAwait(false);
        using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_schema.Quoted}.partition_control AS c (projection_name, partition_id, paused)
            SELECT $1, g, true FROM generate_series(0, $2 - 1) g WHERE $3::int4 IS NULL OR g = $3
            ON CONFLICT (projection_name, partition_id) DO UPDATE SET paused = true, updated_at = now()
            RETURNING c.partition_id
            """);
        AddScope(command, projectionName, partition, count);
        return await PartitionsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resumes a paused projection (every paused partition) or one paused partition: runners catch up from its checkpoint.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="partition">One partition, or null for all paused ones.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partitions resumed.</returns>
    /// <exception cref="ProjectionControlException">The projection or partition does not exist, or nothing of it is paused.</exception>
    public async Task<IReadOnlyList<int>> ResumeAsync(string projectionName, int? partition = null, CancellationToken cancellationToken = default)
    {
        var count = await PartitionCountAsync(projectionName, partition, cancellationToken).ConfigureAwait(false);
        using var command = _dataSource.CreateCommand($"""
            UPDATE {_schema.Quoted}.partition_control SET paused = false, updated_at = now()
            WHERE projection_name = $1 AND paused AND partition_id < $2 AND ($3::int4 IS NULL OR partition_id = $3)
            RETURNING partition_id
            """);
        AddScope(command, projectionName, partition, count);
        var resumed = await PartitionsAsync(command, cancellationToken).ConfigureAwait(false);
        if (resumed.Count == 0)
        {
            throw new ProjectionControlException(
                partition is { } p
                    ? Say($"Partition {p} of projection '{projectionName}' is not paused, so there is nothing to resume. Pause it first with PauseAsync, or read its state with store.Freshness.GetStatusAsync(\"{projectionName}\").")
                    : Say($"No partition of projection '{projectionName}' is paused, so there is nothing to resume. Pause it first with PauseAsync, or read its state with store.Freshness.GetStatusAsync(\"{projectionName}\")."),
                projectionName,
                partition);
        }

        return resumed;
    }

    /// <summary>
    /// Restarts a faulted partition (or every faulted partition of the projection): its runner retries from the checkpoint. Fix the
    /// cause first (deploy the fixed projection, or skip the dead letter); if the same event fails again, the partition faults again.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="partition">One partition, or null for every faulted one.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The partitions restarted.</returns>
    /// <exception cref="ProjectionControlException">The projection or partition does not exist, or nothing of it is faulted.</exception>
    public async Task<IReadOnlyList<int>> RestartAsync(string projectionName, int? partition = null, CancellationToken cancellationToken = default)
    {
        var count = await PartitionCountAsync(projectionName, partition, cancellationToken).ConfigureAwait(false);
        using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_schema.Quoted}.partition_control AS c (projection_name, partition_id, restart_generation)
            SELECT $1, cp.partition_id, 1 FROM {_schema.Quoted}.checkpoint cp
            WHERE cp.projection_name = $1 AND cp.track = '' AND cp.state = '{ProjectionState.Faulted}'
              AND cp.partition_id < $2 AND ($3::int4 IS NULL OR cp.partition_id = $3)
            ON CONFLICT (projection_name, partition_id) DO UPDATE SET restart_generation = c.restart_generation + 1, updated_at = now()
            RETURNING c.partition_id
            """);
        AddScope(command, projectionName, partition, count);
        var restarted = await PartitionsAsync(command, cancellationToken).ConfigureAwait(false);
        if (restarted.Count == 0)
        {
            throw new ProjectionControlException(
                partition is { } p
                    ? Say($"Partition {p} of projection '{projectionName}' is {await StateAsync(projectionName, p, cancellationToken).ConfigureAwait(false)}, not Faulted, so there is nothing to restart. Restart applies to a partition halted by an error (store.Health.EvaluateAsync lists them); a paused one is resumed with ResumeAsync.")
                    : Say($"No partition of projection '{projectionName}' is Faulted, so there is nothing to restart. Restart applies to a partition halted by an error (store.Health.EvaluateAsync lists them); a paused one is resumed with ResumeAsync."),
                projectionName,
                partition);
        }

        return restarted;
    }

    /// <summary>The standing instructions of every partition of <paramref name="projectionName"/> that has any.</summary>
    internal async Task<Dictionary<int, PartitionControl>> ReadAsync(string projectionName, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"SELECT partition_id, paused, restart_generation FROM {_schema.Quoted}.partition_control WHERE projection_name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        var controls = new Dictionary<int, PartitionControl>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            controls[reader.GetInt32(0)] = new PartitionControl(reader.GetBoolean(1), reader.GetInt64(2));
        }

        return controls;
    }

    /// <summary>
    /// The number of partitions control requests address for <paramref name="projectionName"/>: its runners' partition count, or for a
    /// projection whose runners never started, its checkpoints' (1 when it has none). Valid partitions are 0 to the count minus 1.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ProjectionControlException">No projection of that name is registered with the store.</exception>
    public Task<int> GetPartitionCountAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        CheckRegistered(projectionName, partition: null);
        return CountAsync(projectionName, cancellationToken);
    }

    /// <summary>The projection's partition count, after checking the names.</summary>
    private async Task<int> PartitionCountAsync(string projectionName, int? partition, CancellationToken cancellationToken)
    {
        CheckRegistered(projectionName, partition);
        var count = await CountAsync(projectionName, cancellationToken).ConfigureAwait(false);
        if (partition is { } p && (p < 0 || p >= count))
        {
            throw new ProjectionControlException(
                Say($"Projection '{projectionName}' has partitions 0 to {count - 1}; partition {p} does not exist. Name one of them, or none for the whole projection."),
                projectionName,
                partition);
        }

        return count;
    }

    private void CheckRegistered(string projectionName, int? partition)
    {
        ArgumentNullException.ThrowIfNull(projectionName);
        if (!_store.ProjectionNames.Contains(projectionName))
        {
            throw new ProjectionControlException(
                Say($"No projection named '{projectionName}' is registered with this store (registered: {string.Join(", ", _store.ProjectionNames.Order(StringComparer.Ordinal))}). Check the name's spelling and case."),
                projectionName,
                partition);
        }
    }

    private async Task<int> CountAsync(string projectionName, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            SELECT coalesce(
                (SELECT max(partition_count) FROM {_schema.Quoted}.lease WHERE projection_name = $1),
                (SELECT max(partition_id) + 1 FROM {_schema.Quoted}.checkpoint WHERE projection_name = $1 AND track = ''),
                1)
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<string> StateAsync(string projectionName, int partition, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"SELECT state FROM {_schema.Quoted}.checkpoint WHERE projection_name = $1 AND track = '' AND partition_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string ?? ProjectionLifecycle.Initial.ToString();
    }

    private static void AddScope(NpgsqlCommand command, string projectionName, int? partition, int count)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = partition is { } p ? p : DBNull.Value });
    }

    private static async Task<IReadOnlyList<int>> PartitionsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var partitions = new List<int>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            partitions.Add(reader.GetInt32(0));
        }

        partitions.Sort();
        return partitions;
    }

    private static string Say(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
