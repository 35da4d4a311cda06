using Npgsql;

namespace ReadModelKit.Npgsql.Maintenance;

/// <summary>
/// When each scheduled maintenance task (for example the nightly drift check) last ran, kept in the library's schema so a schedule
/// survives restarts and is shared by every node. The only writer of the <c>maintenance_run</c> table. Thread-safe.
/// </summary>
public sealed class MaintenanceRunLog
{
    private readonly NpgsqlReadModelStore _store;

    /// <summary>Creates the log of <paramref name="store"/>'s schema.</summary>
    /// <param name="store">The initialized store.</param>
    public MaintenanceRunLog(NpgsqlReadModelStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>When <paramref name="task"/> last ran, or null when it never did.</summary>
    /// <param name="task">The task's name, for example <c>drift.nightly</c>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<DateTimeOffset?> GetLastRunAsync(string task, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(task);
        using var command = _store.DataSource.CreateCommand($"SELECT last_run_at FROM {_store.SchemaIdentifier.Quoted}.maintenance_run WHERE task = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is DateTime at
            ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))
            : null;
    }

    /// <summary>
    /// Records that <paramref name="task"/> runs at <paramref name="now"/>, unless a run was recorded at or after <paramref name="since"/>.
    /// Returns whether this call recorded it: the caller then runs the task. Of several nodes asking at once for the same period, exactly
    /// one gets true.
    /// </summary>
    /// <param name="task">The task's name.</param>
    /// <param name="now">The time of this run.</param>
    /// <param name="since">The start of the period the task runs once in (for a daily task, the time it was due).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<bool> TryRecordAsync(string task, DateTimeOffset now, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(task);
        using var command = _store.DataSource.CreateCommand($"""
            INSERT INTO {_store.SchemaIdentifier.Quoted}.maintenance_run AS m (task, last_run_at) VALUES ($1, $2)
            ON CONFLICT (task) DO UPDATE SET last_run_at = EXCLUDED.last_run_at WHERE m.last_run_at < $3
            RETURNING true
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = task });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = since.UtcDateTime });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }
}
