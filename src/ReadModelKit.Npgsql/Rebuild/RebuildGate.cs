using System.Globalization;
using Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The checks a new version must pass before a cutover: a drift check of the new version against the source (against the serving
/// version when the mapping has no recompute query; clean, or under
/// <see cref="RebuildOptions.MaxDriftShare"/>), the projection's lag under the contract's maximum, row counts of both versions, and the
/// application's optional callback.
/// </summary>
internal sealed class RebuildGate
{
    private readonly NpgsqlReadModelStore _store;
    private readonly RebuildOptions _options;

    public RebuildGate(NpgsqlReadModelStore store, RebuildOptions options)
    {
        _store = store;
        _options = options;
    }

    public async Task<RebuildGateReport> EvaluateAsync(RebuildRun run, ReadModelTable table, StableView view, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var name = run.ProjectionName;
        // Without a recompute query (a projection rebuilt by replay only) the serving version is the reference.
        var againstServing = table.Mapping.RecomputeSql is null;
        var drift = againstServing
            ? await CompareWithServingAsync(run, table, view, cancellationToken).ConfigureAwait(false)
            : await CheckNewVersionAsync(run, table, view, cancellationToken).ConfigureAwait(false);
        if (!drift.Clean && drift.DriftShare > _options.MaxDriftShare)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"the new version v{run.ToVersion} differs from {(againstServing ? $"the serving version v{run.FromVersion}" : "the source")} in {drift.Total} of {drift.CheckedRows} row(s) (missing {drift.Missing}, extra {drift.Extra}, changed {drift.Changed}; share {drift.DriftShare:P3}, allowed {_options.MaxDriftShare:P3}). Look at the differences (a projection whose events disagree with its recompute query, or writes bypassing the library), fix the cause, then run RunAsync again to re-validate; or cancel and rebuild."));
        }

        var freshness = await _store.Freshness.GetAsync(name, cancellationToken).ConfigureAwait(false);
        var maxLag = _store.GetApplier(name).Contract.Freshness.MaxLag;
        if (freshness.LagSeconds is { } lag && lag > maxLag.TotalSeconds)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"the projection lags its source by {lag:0.###} s, more than the contract's maximum of {maxLag.TotalSeconds:0.###} s: live events would reach readers late after the switch. Let the runners catch up, then run RunAsync again."));
        }

        long oldRows;
        long newRows;
        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            oldRows = await CountAsync(connection, view.Physical(run.FromVersion), table, cancellationToken).ConfigureAwait(false);
            newRows = await CountAsync(connection, view.Physical(run.ToVersion), table, cancellationToken).ConfigureAwait(false);
        }

        if (_options.GateCallback is { } callback)
        {
            var verdict = await callback(new RebuildGateContext(run, view.Physical(run.ToVersion), oldRows, newRows), cancellationToken).ConfigureAwait(false);
            if (verdict is not null)
            {
                failures.Add("the application's gate callback refused: " + verdict);
            }
        }

        return new RebuildGateReport { Failures = failures, Drift = drift, OldRows = oldRows, NewRows = newRows, LagSeconds = freshness.LagSeconds };
    }

    private async Task<DriftReport> CompareWithServingAsync(RebuildRun run, ReadModelTable table, StableView view, CancellationToken cancellationToken)
    {
        var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        return await VersionComparison.CompareAsync(connection, table, view.Physical(run.FromVersion), view.Physical(run.ToVersion), _store.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A drift check through the reconciler's public API, of a store whose mapping points at the new version's table.</summary>
    private async Task<DriftReport> CheckNewVersionAsync(RebuildRun run, ReadModelTable table, StableView view, CancellationToken cancellationToken)
    {
        var options = new NpgsqlReadModelOptions { Schema = _store.Schema };
        options.Map(run.ProjectionName, table.Mapping with { Schema = table.Schema, Table = view.PhysicalName(run.ToVersion) });
        var shadow = new NpgsqlReadModelStore(new ReadModelKitDataSource(_store.DataSource), options, [_store.GetProjection(run.ProjectionName)], _store.Time, _store.Loggers);
        await shadow.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var check = new DriftCheckOptions { RecordIncidents = false };
        if (_store.GetApplier(run.ProjectionName).Contract.Source is { Kind: Contracts.SourceKind.Outbox } source)
        {
            // Live events keep flowing: a difference the runners have not applied yet is a candidate, re-checked once they pass it.
            // The run's lease is renewed meanwhile, so the wait is the drift check's own CatchUpTimeout.
            check.SourcePosition = (connection, token) => OutboxPositionAsync(connection, source.Name, token);
        }

        return await new DriftReconciler(shadow).CheckAsync(run.ProjectionName, check, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest transaction of the stream visible in the check's snapshot: where the projection's checkpoints must get to.</summary>
    private async Task<long> OutboxPositionAsync(NpgsqlConnection connection, string stream, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"SELECT coalesce(max(tx_id::text::int8), 0) FROM {_store.SchemaIdentifier.Quoted}.outbox WHERE stream = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string physical, ReadModelTable table, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand($"SELECT count(*) FROM {physical}{(table.Tombstone is { } t ? $" WHERE {t} IS NULL" : "")}", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
