using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The one owner of the <c>projection_version</c> and <c>rebuild_run</c> tables: which version serves, which versions are fed,
/// the run records, their progress and their lease. Every other component reads and writes them through this class.
/// Methods taking a connection and a transaction run inside the caller's transaction.
/// </summary>
internal sealed class RebuildRunStore
{
    private const string IsActive = "state NOT IN ('retired', 'failed', 'cancelled', 'rolled_back')";
    private const string RunColumns = "id, projection_name, from_version, to_version, method, state, last_key, rows_done, estimated_rows, owner, gate_passed, gate_report, error, created_at, backfill_started_at, cut_over_at, finished_at, replay_to";
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _versions;
    private readonly string _runs;

    public RebuildRunStore(NpgsqlDataSource dataSource, SqlIdentifier schema)
    {
        _dataSource = dataSource;
        _versions = schema.Quoted + ".projection_version";
        _runs = schema.Quoted + ".rebuild_run";
    }

    /// <summary>Creates the projection's version row (not adopted, nothing fed) if it is missing, so batches always have a row to lock.</summary>
    public async Task EnsureVersionRowAsync(string projectionName, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        await EnsureVersionRowAsync(connection, null, projectionName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="EnsureVersionRowAsync(string, CancellationToken)"/>, inside the caller's transaction.</summary>
    public async Task EnsureVersionRowAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string projectionName, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"INSERT INTO {_versions} (projection_name) VALUES ($1) ON CONFLICT DO NOTHING", connection, transaction);
        command.Parameters.Add(Text(projectionName));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the versions. <paramref name="forChange"/> false: FOR KEY SHARE, which an apply batch holds until it commits, so a change of
    /// the fed versions waits for it; true: FOR UPDATE, taken by the change itself.
    /// </summary>
    public async Task<ProjectionVersions> ReadVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string projectionName, bool forChange, CancellationToken cancellationToken, bool prepare = false) =>
        await TryReadVersionsAsync(connection, transaction, projectionName, forChange, cancellationToken, prepare).ConfigureAwait(false) ?? new ProjectionVersions(0, null, []);

    /// <summary>As <see cref="ReadVersionsAsync(NpgsqlConnection, NpgsqlTransaction?, string, bool, CancellationToken, bool)"/>; null when the row is missing (nothing was locked).</summary>
    public async Task<ProjectionVersions?> TryReadVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string projectionName, bool forChange, CancellationToken cancellationToken, bool prepare = false)
    {
        using var command = new NpgsqlCommand(
            $"SELECT generation, serving_version, fed_versions FROM {_versions} WHERE projection_name = $1 {(forChange ? "FOR UPDATE" : "FOR KEY SHARE")}",
            connection,
            transaction);
        command.Parameters.Add(Text(projectionName));
        if (prepare)
        {
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }

        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new ProjectionVersions(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetFieldValue<int[]>(2));
    }

    /// <summary>Reads the versions without locking.</summary>
    public async Task<ProjectionVersions> ReadVersionsAsync(string projectionName, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"SELECT generation, serving_version, fed_versions FROM {_versions} WHERE projection_name = $1");
        command.Parameters.Add(Text(projectionName));
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new ProjectionVersions(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetFieldValue<int[]>(2))
            : new ProjectionVersions(0, null, []);
    }

    /// <summary>Sets the serving and fed versions and bumps the generation (a key update: waits for batches holding FOR KEY SHARE).</summary>
    public async Task SetVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projectionName, int serving, IReadOnlyList<int> fed, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"""
            INSERT INTO {_versions} AS v (projection_name, generation, serving_version, fed_versions) VALUES ($1, 1, $2, $3)
            ON CONFLICT (projection_name) DO UPDATE
            SET generation = v.generation + 1, serving_version = $2, fed_versions = $3, updated_at = now()
            """, connection, transaction);
        command.Parameters.Add(Text(projectionName));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = serving });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [serving, .. fed.Where(v => v != serving).Distinct()] });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The highest version any run or the serving row has used (0 when none).</summary>
    public async Task<int> HighestVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projectionName, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"""
            SELECT greatest(
                (SELECT coalesce(max(to_version), 0) FROM {_runs} WHERE projection_name = $1),
                (SELECT coalesce(max(v), 0) FROM {_versions}, unnest(fed_versions || serving_version) v WHERE projection_name = $1))
            """, connection, transaction);
        command.Parameters.Add(Text(projectionName));
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Inserts a planned run; null when another run is active (the partial unique index refuses it).</summary>
    public async Task<RebuildRun?> InsertPlannedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string projectionName, int from, int to, RebuildMethod method, long? estimatedRows, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"""
            INSERT INTO {_runs} (projection_name, from_version, to_version, method, state, estimated_rows)
            VALUES ($1, $2, $3, $4, 'planned', $5)
            ON CONFLICT (projection_name) WHERE {IsActive} DO NOTHING
            RETURNING {RunColumns}
            """, connection, transaction);
        command.Parameters.Add(Text(projectionName));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = to });
        command.Parameters.Add(Text(method.ToString()));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = estimatedRows is { } e ? e : DBNull.Value });
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The projection's active run, or null.</summary>
    public Task<RebuildRun?> GetActiveAsync(NpgsqlConnection? connection, NpgsqlTransaction? transaction, string projectionName, bool forUpdate, CancellationToken cancellationToken) =>
        FindAsync(connection, transaction, projectionName, "AND " + IsActive, forUpdate, cancellationToken);

    /// <summary>The SQL reading the projection's active run (<c>$1</c>) for <see cref="ReadActive"/>, to batch with other reads.</summary>
    public static string ActiveRunSql(SqlIdentifier schema) => $"SELECT id, state, rows_done FROM {schema.Quoted}.rebuild_run WHERE projection_name = $1 AND {IsActive}";

    /// <summary>The current row of <see cref="ActiveRunSql"/>.</summary>
    public static ActiveRebuild ReadActive(NpgsqlDataReader reader) => new(reader.GetInt64(0), ParseState(reader.GetString(1)), reader.GetInt64(2));

    /// <summary>One run by id, or null.</summary>
    public async Task<RebuildRun?> GetAsync(long runId, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"SELECT {RunColumns} FROM {_runs} WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = runId });
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The projection's most recent run (active or not), or null.</summary>
    public Task<RebuildRun?> GetLatestAsync(NpgsqlConnection? connection, NpgsqlTransaction? transaction, string projectionName, bool forUpdate, CancellationToken cancellationToken) =>
        FindAsync(connection, transaction, projectionName, "ORDER BY id DESC LIMIT 1", forUpdate, cancellationToken);

    /// <summary>The projection's run matching <paramref name="tail"/> (SQL after the projection filter), on the caller's connection or a pooled one.</summary>
    private async Task<RebuildRun?> FindAsync(NpgsqlConnection? connection, NpgsqlTransaction? transaction, string projectionName, string tail, bool forUpdate, CancellationToken cancellationToken)
    {
        var sql = $"SELECT {RunColumns} FROM {_runs} WHERE projection_name = $1 {tail} {(forUpdate ? "FOR UPDATE" : "")}";
        using var command = connection is null ? _dataSource.CreateCommand(sql) : new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(Text(projectionName));
        return await ReadOneAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves a run to <paramref name="to"/> inside the caller's transaction (the caller holds the run's row lock and checked the state).</summary>
    public async Task<RebuildRun> SetStateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long runId, RebuildRunState to, string? error, CancellationToken cancellationToken)
    {
        var finished = to is RebuildRunState.Retired or RebuildRunState.Failed or RebuildRunState.Cancelled or RebuildRunState.RolledBack;
        using var command = new NpgsqlCommand($"""
            UPDATE {_runs} SET state = $2, error = coalesce($3, error), updated_at = now(),
                cut_over_at = CASE WHEN $2 = 'cut_over' THEN now() ELSE cut_over_at END,
                finished_at = CASE WHEN $4 THEN now() ELSE finished_at END,
                owner = CASE WHEN $4 THEN NULL ELSE owner END,
                token = CASE WHEN $4 THEN token + 1 ELSE token END
            WHERE id = $1
            RETURNING {RunColumns}
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = runId });
        command.Parameters.Add(Text(StateName(to)));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)error ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = finished });
        return (await ReadOneAsync(command, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Takes the run's lease for <paramref name="nodeId"/> when it is free, expired or already this node's, bumping the fencing token.
    /// Returns the token, or null when another node holds a live lease.
    /// </summary>
    public async Task<long?> AcquireLeaseAsync(long runId, string nodeId, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            UPDATE {_runs} SET owner = $2, token = token + 1, lease_expires_at = now() + $3, updated_at = now()
            WHERE id = $1 AND {IsActive}
              AND (owner IS NULL OR owner = $2 OR lease_expires_at IS NULL OR lease_expires_at <= now())
            RETURNING token
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = runId });
        command.Parameters.Add(Text(nodeId));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = duration });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long token ? token : null;
    }

    /// <summary>
    /// The fence and progress of one step, inside the step's transaction: renews the lease, records progress and (optionally) moves the
    /// state, but only while this node still holds <paramref name="lease"/> and the run is in <paramref name="expected"/>.
    /// Returns false when not (the caller rolls back).
    /// </summary>
    public async Task<bool> RecordStepAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        RunLease lease,
        RebuildRunState expected,
        RebuildRunState next,
        string[]? lastKey,
        long rowsRead,
        CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"""
            UPDATE {_runs} SET state = $5, last_key = coalesce($6, last_key), rows_done = rows_done + $7, lease_expires_at = now() + $8,
                backfill_started_at = CASE WHEN $5 = 'backfilling' THEN coalesce(backfill_started_at, now()) ELSE backfill_started_at END,
                updated_at = now()
            WHERE id = $1 AND owner = $2 AND token = $3 AND lease_expires_at > now() AND state = $4
            """, connection, transaction);
        AddLease(command, lease);
        command.Parameters.Add(Text(StateName(expected)));
        command.Parameters.Add(Text(StateName(next)));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)lastKey ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rowsRead });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease.Duration });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Starts a replay (fenced like a step): Planned → Replaying with the position the replay must pass, taken from a snapshot after the
    /// new version started being fed, so every transaction at or after it reaches the new version through the live feed. A resumed
    /// replay keeps its target. Returns the target, or null when this node no longer holds the lease or the run moved on.
    /// </summary>
    public async Task<long?> BeginReplayAsync(RunLease lease, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            UPDATE {_runs} SET state = 'replaying', updated_at = now(), lease_expires_at = now() + $4,
                replay_to = coalesce(replay_to, pg_snapshot_xmax(pg_current_snapshot())::text::int8),
                backfill_started_at = coalesce(backfill_started_at, now())
            WHERE id = $1 AND owner = $2 AND token = $3 AND lease_expires_at > now() AND state IN ('planned', 'replaying')
            RETURNING replay_to
            """);
        AddLease(command, lease);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease.Duration });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long to ? to : null;
    }

    /// <summary>
    /// The feed lock of a batch that writes a version outside the apply path (a replay): the version row FOR KEY SHARE, so a change of
    /// the fed versions (cancel, cutover) waits for the batch. For a <see cref="NpgsqlBatch"/>; returns the fed versions.
    /// </summary>
    public NpgsqlBatchCommand FeedLockCommand(string projectionName)
    {
        var command = new NpgsqlBatchCommand($"SELECT fed_versions FROM {_versions} WHERE projection_name = $1 FOR KEY SHARE");
        command.Parameters.Add(Text(projectionName));
        return command;
    }

    /// <summary>
    /// The fence and progress of one replay batch, for a <see cref="NpgsqlBatch"/>: renews the lease and adds <paramref name="eventsRead"/>
    /// while this node holds <paramref name="lease"/> and the run is replaying. Returns one row, or none (the caller rolls back).
    /// </summary>
    public NpgsqlBatchCommand ReplayStepCommand(RunLease lease, long eventsRead)
    {
        var command = new NpgsqlBatchCommand($"""
            UPDATE {_runs} SET rows_done = rows_done + $4, lease_expires_at = now() + $5, updated_at = now()
            WHERE id = $1 AND owner = $2 AND token = $3 AND lease_expires_at > now() AND state = 'replaying'
            RETURNING 1
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lease.RunId });
        command.Parameters.Add(Text(lease.NodeId));
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lease.Token });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = eventsRead });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease.Duration });
        return command;
    }

    /// <summary>
    /// Extends the lease of a step that commits nothing for a while (the gate, a replay waiting behind an old transaction) while this node's token is still the run's, even past the
    /// lease's expiry: a takeover or a cancel bumps the token, so a match means no other node took the run meanwhile. False when not.
    /// </summary>
    public async Task<bool> RenewLeaseAsync(RunLease lease, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            UPDATE {_runs} SET lease_expires_at = now() + $4, updated_at = now()
            WHERE id = $1 AND owner = $2 AND token = $3 AND {IsActive}
            """);
        AddLease(command, lease);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease.Duration });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Records a gate's verdict and moves the run to Ready when it passed, or leaves it Validating. Fenced by the token alone, like
    /// <see cref="RenewLeaseAsync"/>: a gate that outlived its lease without another node taking the run over still saves its verdict.
    /// </summary>
    public async Task<bool> RecordGateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RunLease lease, bool passed, string report, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"""
            UPDATE {_runs} SET gate_passed = $4, gate_report = $5, state = CASE WHEN $4 THEN 'ready' ELSE 'validating' END, updated_at = now()
            WHERE id = $1 AND owner = $2 AND token = $3 AND state IN ('validating', 'ready')
            """, connection, transaction);
        AddLease(command, lease);
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = passed });
        command.Parameters.Add(Text(report));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Gives the lease up (a clean stop, or an error recorded for the operator); the run stays where it is and any node may resume it.</summary>
    public async Task ReleaseLeaseAsync(RunLease lease, string? error, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            UPDATE {_runs} SET owner = NULL, lease_expires_at = NULL, error = coalesce($4, error), updated_at = now()
            WHERE id = $1 AND owner = $2 AND token = $3
            """);
        AddLease(command, lease);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)error ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The state's name in the table.</summary>
    public static string StateName(RebuildRunState state) => state switch
    {
        RebuildRunState.Planned => "planned",
        RebuildRunState.Backfilling => "backfilling",
        RebuildRunState.Replaying => "replaying",
        RebuildRunState.CatchingUp => "catching_up",
        RebuildRunState.Validating => "validating",
        RebuildRunState.Ready => "ready",
        RebuildRunState.CutOver => "cut_over",
        RebuildRunState.Retired => "retired",
        RebuildRunState.Failed => "failed",
        RebuildRunState.Cancelled => "cancelled",
        RebuildRunState.RolledBack => "rolled_back",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown rebuild run state."),
    };

    private static RebuildRunState ParseState(string name) =>
        Enum.GetValues<RebuildRunState>().First(s => StateName(s) == name);

    private static async Task<RebuildRun?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetDateTime(i), TimeSpan.Zero);
        return new RebuildRun
        {
            Id = reader.GetInt64(0),
            ProjectionName = reader.GetString(1),
            FromVersion = reader.GetInt32(2),
            ToVersion = reader.GetInt32(3),
            Method = Enum.Parse<RebuildMethod>(reader.GetString(4)),
            State = ParseState(reader.GetString(5)),
            LastKey = reader.IsDBNull(6) ? null : reader.GetFieldValue<string[]>(6),
            RowsDone = reader.GetInt64(7),
            EstimatedRows = reader.IsDBNull(8) ? null : reader.GetInt64(8),
            Owner = reader.IsDBNull(9) ? null : reader.GetString(9),
            GatePassed = reader.IsDBNull(10) ? null : reader.GetBoolean(10),
            GateReport = reader.IsDBNull(11) ? null : reader.GetString(11),
            Error = reader.IsDBNull(12) ? null : reader.GetString(12),
            CreatedAt = Time(13)!.Value,
            BackfillStartedAt = Time(14),
            CutOverAt = Time(15),
            FinishedAt = Time(16),
            ReplayTo = reader.IsDBNull(17) ? null : reader.GetInt64(17),
        };
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    /// <summary>Parameters $1-$3 of a fenced statement: run id, node, token.</summary>
    private static void AddLease(NpgsqlCommand command, RunLease lease)
    {
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lease.RunId });
        command.Parameters.Add(Text(lease.NodeId));
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lease.Token });
    }
}
