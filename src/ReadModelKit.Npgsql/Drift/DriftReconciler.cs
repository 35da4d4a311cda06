using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Diagnostics;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Finds, records and repairs drift: where a read model disagrees with what its source says it should hold (the mapping's
/// <c>RecomputeSql</c>). Checks run for one projection, all projections, one tenant or a key range, in full or sample mode, and
/// return a <see cref="DriftReport"/>; confirmed drift is recorded in the <c>drift_incident</c> table; repair recomputes the drifted
/// keys in bounded, idempotent batches and refuses when so much has drifted that a rebuild is the right tool.
/// Thread-safe; checks of different projections may run at once.
/// </summary>
public sealed class DriftReconciler
{
    private readonly NpgsqlReadModelStore _store;
    private readonly NpgsqlDataSource? _source;
    private readonly SqlIdentifier _schema;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DriftIncidentStore _incidents;
    private readonly ConcurrentDictionary<string, Task<DriftTable>> _tables = new(StringComparer.Ordinal);

    /// <summary>Creates a reconciler for the projections of <paramref name="store"/>.</summary>
    /// <param name="store">The initialized store; its database holds the read models and the incidents.</param>
    /// <param name="source">
    /// The source database when it is a different server from the read model's (cross-database block hashing; the recompute queries run
    /// there), or null (the default) when the recompute queries run in the read model's own database.
    /// </param>
    /// <param name="time">The clock; default the system clock.</param>
    /// <param name="loggers">Logger factory, or null for none.</param>
    public DriftReconciler(NpgsqlReadModelStore store, NpgsqlDataSource? source = null, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _source = source;
        _schema = SqlIdentifier.From(store.Schema, "ReadModelKit schema");
        _time = time ?? store.Time;
        _logger = (loggers ?? store.Loggers ?? NullLoggerFactory.Instance).CreateLogger("ReadModelKit.Npgsql.Drift");
        _incidents = new DriftIncidentStore(store.DataSource, _schema);
    }

    /// <summary>Same database (no source data source given) or cross database.</summary>
    public DriftStrategy Strategy => _source is null ? DriftStrategy.SameDatabase : DriftStrategy.CrossDatabase;

    /// <summary>Checks one projection.</summary>
    /// <param name="projectionName">The projection; its mapping must have a <c>RecomputeSql</c>.</param>
    /// <param name="options">Mode, scope, sizes and limits; null for the defaults (a full check of every key).</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="DriftCheckException">The options are invalid, the mapping has no recompute query, or the servers cannot share a row hash.</exception>
    public async Task<DriftReport> CheckAsync(string projectionName, DriftCheckOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projectionName);
        options ??= new DriftCheckOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new DriftCheckException($"Drift check options are invalid ({errors.Count}):{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", errors)}", projectionName);
        }

        var table = await GetTableAsync(projectionName, cancellationToken).ConfigureAwait(false);
        var scopeErrors = options.Scope.Validate(table.Keys.Count);
        if (scopeErrors.Count > 0)
        {
            throw new DriftCheckException($"The drift check scope does not fit the keys of projection '{projectionName}' ({string.Join(", ", table.Keys.Select(k => k.Column.Name))}): {string.Join(" ", scopeErrors)}", projectionName);
        }

        if (ScopeTypeError(table, options.Scope) is { } typeError)
        {
            throw new DriftCheckException(typeError, projectionName);
        }

        using var activity = ReadModelKitDiagnostics.StartActivity("drift_check", projectionName);
        var started = _time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        var sink = new DriftSink(options, options.RecordIncidents ? (d, ct) => _incidents.RecordAsync(table, d, _time.GetUtcNow(), ct) : null, _store.GetApplier(projectionName).Privacy.Mask);
        var received = new ReceivedBytes();
        IDriftDetector detector = _source is null
            ? new SameDatabaseDetector(_store.DataSource, table, _schema, options, received)
            : new CrossDatabaseDetector(_source, _store.DataSource, table, _schema, options, received);
        var unconfirmed = 0L;
        DriftRowHash? rowHash;
        DriftFindings findings;
        try
        {
            DriftPass pass;
            var comparison = await detector.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (comparison.ConfigureAwait(false))
            {
                // What a difference means depends on the pass: drift when the projection had caught up, else a candidate to re-check.
                pass = comparison.Pass;
                findings = new DriftFindings(pass.CaughtUp ? sink.ConfirmAsync : sink.KeepCandidatesAsync);
                await comparison.CompareAsync(findings, cancellationToken).ConfigureAwait(false);
                rowHash = comparison.RowHash;
            }

            if (!pass.CaughtUp && sink.CandidatesFound > 0)
            {
                DriftLog.Candidates(_logger, projectionName, sink.CandidatesFound, pass.ProjectionPosition, pass.SourcePosition);
                unconfirmed = await ResolveCandidatesAsync(projectionName, detector, sink, pass, options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException exception) when (RecomputeSqlException.IsQueryError(exception))
        {
            throw RecomputeSqlException.Failed(projectionName, exception, repair: false);
        }

        await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
        var report = new DriftReport
        {
            ProjectionName = projectionName,
            Strategy = Strategy,
            Mode = options.Mode,
            Scope = options.Scope,
            RowHash = rowHash,
            StartedAt = started,
            Duration = stopwatch.Elapsed,
            CheckedRows = findings.CheckedRows,
            Missing = sink.Missing,
            Extra = sink.Extra,
            Changed = sink.Changed,
            Candidates = sink.CandidatesFound,
            Unconfirmed = unconfirmed,
            IncidentsRecorded = sink.Recorded,
            IncidentsTruncated = sink.Truncated,
            BytesReceived = received.Total,
            RangesCompared = findings.Ranges,
            Samples = sink.Samples.ToList(),
        };
        Record(report, activity);
        return report;
    }

    /// <summary>Checks every projection whose mapping has a recompute query, one after another.</summary>
    /// <param name="options">Options applied to every check; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    public async Task<IReadOnlyList<DriftReport>> CheckAllAsync(DriftCheckOptions? options = null, CancellationToken cancellationToken = default)
    {
        EnsureInitialized();
        var reports = new List<DriftReport>();
        foreach (var name in _store.ProjectionNames.Order(StringComparer.Ordinal))
        {
            if (_store.GetApplier(name).Table.Mapping.RecomputeSql is not null)
            {
                reports.Add(await CheckAsync(name, options, cancellationToken).ConfigureAwait(false));
            }
        }

        return reports;
    }

    /// <summary>
    /// Repairs the drift a check recorded: every open incident of the report's projection within the report's scope (one tenant, a key
    /// range, or all keys) is recomputed from the source in batches; incidents outside the scope are left alone.
    /// Refuses when the report's drift is above <see cref="DriftRepairOptions.MaxDriftShare"/> of the checked rows (and more than
    /// <see cref="DriftRepairOptions.SmallDriftKeys"/> keys), or when the check could not record all of it: a rebuild is the right tool then.
    /// </summary>
    /// <param name="report">The report of the check that recorded the incidents.</param>
    /// <param name="options">Batch size and guardrail; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the repair between batches (finished batches stay repaired).</param>
    /// <exception cref="DriftTooLargeException">Too much drifted for a key-by-key repair.</exception>
    /// <exception cref="DriftCheckException">The options are invalid.</exception>
    public async Task<DriftRepairResult> RepairAsync(DriftReport report, DriftRepairOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        options = Validated(options, report.ProjectionName);
        if (report.IncidentsTruncated || (report.Total > options.SmallDriftKeys && report.DriftShare > options.MaxDriftShare))
        {
            DriftLog.RepairRefused(_logger, report.ProjectionName, report.Total, report.CheckedRows, options.MaxDriftShare);
            throw new DriftTooLargeException(report.ProjectionName, report.Total, report.CheckedRows, options.MaxDriftShare);
        }

        var repairer = await GetRepairerAsync(report.ProjectionName, cancellationToken).ConfigureAwait(false);
        DriftRepairResult result;
        try
        {
            result = await repairer.RepairOpenIncidentsAsync(report.Scope, options.BatchSize, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (RecomputeSqlException.IsQueryError(exception))
        {
            throw RecomputeSqlException.Failed(report.ProjectionName, exception, repair: true);
        }

        Record(report.ProjectionName, result);
        return result;
    }

    /// <summary>
    /// Recomputes the given keys from the source (one entity, or keys an operator found), whether or not an incident names them,
    /// and closes their open incidents. Keys that already agree are not written.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="keys">The keys, one value per key column in key-column order.</param>
    /// <param name="options">Batch size; null for the default.</param>
    /// <param name="cancellationToken">Cancels the repair between batches.</param>
    public async Task<DriftRepairResult> RepairKeysAsync(string projectionName, IReadOnlyCollection<RowKey> keys, DriftRepairOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projectionName);
        ArgumentNullException.ThrowIfNull(keys);
        options = Validated(options, projectionName);
        var repairer = await GetRepairerAsync(projectionName, cancellationToken).ConfigureAwait(false);
        var table = await GetTableAsync(projectionName, cancellationToken).ConfigureAwait(false);
        var wrong = keys.FirstOrDefault(k => k.Count != table.Keys.Count);
        if (wrong is not null)
        {
            throw new DriftCheckException($"Key {wrong} has {wrong.Count} value(s) but projection '{projectionName}' has {table.Keys.Count} key column(s) ({string.Join(", ", table.Keys.Select(k => k.Column.Name))}): give one value per key column.", projectionName);
        }

        DriftRepairResult result;
        try
        {
            result = await repairer.RepairKeysAsync(keys, options.BatchSize, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (RecomputeSqlException.IsQueryError(exception))
        {
            throw RecomputeSqlException.Failed(projectionName, exception, repair: true);
        }

        Record(projectionName, result);
        return result;
    }

    /// <summary>Lists a projection's incidents, oldest first.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="openOnly">Only incidents not yet repaired (the default).</param>
    /// <param name="limit">At most this many. Default 100.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<DriftIncident>> ListIncidentsAsync(string projectionName, bool openOnly = true, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projectionName);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return _incidents.ListAsync(projectionName, openOnly, limit, cancellationToken);
    }

    /// <summary>
    /// Plans every projection's recompute query in the database it runs in (the source database when one was given, else the read
    /// model's) without reading a row, and checks that it returns every mapped column: call it at start-up, so a bad query fails there
    /// rather than at the first nightly check.
    /// </summary>
    /// <param name="cancellationToken">Cancels the validation.</param>
    /// <exception cref="RecomputeSqlException">A query is not valid there (the message lists every projection's problem).</exception>
    /// <exception cref="DriftCheckException">A query lacks a mapped column.</exception>
    public async Task ValidateAsync(CancellationToken cancellationToken = default)
    {
        EnsureInitialized();
        var problems = new List<DriftCheckException>();
        foreach (var name in _store.ProjectionNames.Order(StringComparer.Ordinal))
        {
            if (_store.GetApplier(name).Table.Mapping.RecomputeSql is null)
            {
                continue;
            }

            var table = await GetTableAsync(name, cancellationToken).ConfigureAwait(false);
            var connection = await (_source ?? _store.DataSource).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            var transaction = await DriftSession.BeginSnapshotAsync(connection, fixedTextSettings: false, cancellationToken).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            try
            {
                await SourceShape.KeyExpressionsAsync(connection, table, "q", cancellationToken).ConfigureAwait(false);
            }
            catch (DriftCheckException problem)
            {
                problems.Add(problem);
            }
        }

        if (problems.Count == 1)
        {
            throw problems[0];
        }

        if (problems.Count > 1)
        {
            throw new RecomputeSqlException(
                $"The recompute queries of {problems.Count} projections are not valid:{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", problems.Select(p => p.Message))}",
                string.Join(", ", problems.Select(p => p.ProjectionName)),
                new AggregateException(problems));
        }
    }

    /// <summary>The first scope value that does not fit its key column's type, described, or null.</summary>
    private static string? ScopeTypeError(DriftTable table, DriftScope scope)
    {
        var given = scope.KeyPrefix.Select((v, i) => ("KeyPrefix", i, (object?)v))
            .Concat(scope.From?.Select((v, i) => ("From", i, (object?)v)) ?? [])
            .Concat(scope.To?.Select((v, i) => ("To", i, (object?)v)) ?? []);
        foreach (var (bound, index, value) in given)
        {
            var column = table.Keys[index].Column;
            try
            {
                ColumnBuffer.For(column).Check(value);
            }
            catch (Exception exception) when (exception is FormatException or InvalidCastException or OverflowException)
            {
                return $"Scope.{bound} gives '{value}' ({value?.GetType().Name}) for key column '{column.Name}' of type {column.FormattedType} in projection '{table.ProjectionName}': give a value of the column's type (for example a long for int8, a string for text).";
            }
        }

        return null;
    }

    private void EnsureInitialized()
    {
        if (!_store.IsInitialized)
        {
            throw new DriftCheckException("Drift checks and repairs need an initialized store: call NpgsqlReadModelStore.InitializeAsync at start-up before checking or repairing drift.");
        }
    }

    private static DriftRepairOptions Validated(DriftRepairOptions? options, string projectionName)
    {
        options ??= new DriftRepairOptions();
        var errors = options.Validate();
        return errors.Count == 0
            ? options
            : throw new DriftCheckException($"Drift repair options are invalid ({errors.Count}):{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", errors)}", projectionName);
    }

    private Task<DriftTable> GetTableAsync(string projectionName, CancellationToken cancellationToken)
    {
        EnsureInitialized();
        var table = _store.GetApplier(projectionName).Table;
        var task = _tables.GetOrAdd(projectionName, _ => LoadAsync());
        if (task.IsFaulted || task.IsCanceled)
        {
            _tables.TryRemove(projectionName, out _);
        }

        return task;

        async Task<DriftTable> LoadAsync()
        {
            var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            return await DriftTable.LoadAsync(connection, table, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DriftRepairer> GetRepairerAsync(string projectionName, CancellationToken cancellationToken)
    {
        var table = await GetTableAsync(projectionName, cancellationToken).ConfigureAwait(false);
        return new DriftRepairer(_store.DataSource, _source, table, _incidents, _time);
    }

    /// <summary>
    /// Re-checks candidates after the projection has passed the source position each round read; returns how many stayed unconfirmed.
    /// </summary>
    private async Task<long> ResolveCandidatesAsync(string projectionName, IDriftDetector detector, DriftSink sink, DriftPass pass, DriftCheckOptions options, CancellationToken cancellationToken)
    {
        var candidates = sink.Candidates.ToList();
        var overflow = sink.CandidatesFound - candidates.Count;
        var previous = pass;
        for (var round = 0; round < options.MaxRechecks && candidates.Count > 0; round++)
        {
            if (!await WaitForProjectionAsync(projectionName, previous.SourcePosition, options, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            var (recheck, differences) = await detector.RecheckAsync(candidates.Select(c => c.Key).ToList(), cancellationToken).ConfigureAwait(false);
            var now = differences.ToDictionary(d => d.Key);
            var confirmed = new List<DriftDifference>();
            var still = new List<DriftDifference>();
            foreach (var candidate in candidates)
            {
                var current = now.GetValueOrDefault(candidate.Key);
                switch (CandidateResolver.Judge(candidate, current, recheck.CaughtUp))
                {
                    case CandidateResolver.Verdict.Confirmed:
                        confirmed.Add(current!);
                        break;
                    case CandidateResolver.Verdict.StillCandidate:
                        still.Add(current!);
                        break;
                }
            }

            await sink.ConfirmAsync(confirmed, cancellationToken).ConfigureAwait(false);
            candidates = still;
            previous = recheck;
        }

        var unconfirmed = candidates.Count + overflow;
        if (unconfirmed > 0)
        {
            DriftLog.Unconfirmed(_logger, projectionName, unconfirmed);
        }

        return unconfirmed;
    }

    private async Task<bool> WaitForProjectionAsync(string projectionName, long sourcePosition, DriftCheckOptions options, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        while (true)
        {
            var position = await DriftSession.ProjectionPositionAsync(connection, options, _schema, projectionName, cancellationToken).ConfigureAwait(false);
            if (position >= sourcePosition)
            {
                return true;
            }

            if (_time.GetElapsedTime(started) >= options.CatchUpTimeout)
            {
                return false;
            }

            await Task.Delay(options.CatchUpPollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Record(DriftReport report, Activity? activity)
    {
        var tag = ReadModelKitDiagnostics.Tag(report.ProjectionName);
        ReadModelKitDiagnostics.DriftRowsChecked.Add(report.CheckedRows, tag);
        ReadModelKitDiagnostics.DriftCheckDuration.Record(report.Duration.TotalSeconds, tag);
        foreach (var (kind, count) in new[] { (DriftKind.Missing, report.Missing), (DriftKind.Extra, report.Extra), (DriftKind.Changed, report.Changed) })
        {
            if (count > 0)
            {
                ReadModelKitDiagnostics.DriftFound.Add(count, tag, new KeyValuePair<string, object?>("drift.kind", DriftIncidentStore.KindText(kind)));
            }
        }

        activity?.SetTag("drift.checked_rows", report.CheckedRows);
        activity?.SetTag("drift.total", report.Total);
        activity?.SetTag("drift.clean", report.Clean);
        if (report.Clean)
        {
            DriftLog.Clean(_logger, report.ProjectionName, report.Strategy, report.Mode, report.CheckedRows, report.Duration.TotalMilliseconds);
        }
        else
        {
            DriftLog.Drifted(_logger, report.ProjectionName, report.Strategy, report.Mode, report.Missing, report.Extra, report.Changed, report.CheckedRows, report.IncidentsRecorded, report.Duration.TotalMilliseconds);
        }
    }

    private void Record(string projectionName, DriftRepairResult result)
    {
        ReadModelKitDiagnostics.DriftRepaired.Add(result.KeysRepaired, ReadModelKitDiagnostics.Tag(projectionName));
        DriftLog.Repaired(_logger, projectionName, result.KeysRepaired, result.RowsWritten, result.IncidentsClosed, result.Batches);
    }
}
