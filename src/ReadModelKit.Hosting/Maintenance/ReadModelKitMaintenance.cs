using Microsoft.Extensions.Options;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Projections;

namespace ReadModelKit.Hosting.Maintenance;

/// <summary>
/// One bounded maintenance pass over every registered projection: inbox retention, tombstone retention and outbox pruning as set in
/// <see cref="MaintenanceOptions"/>, and drift checks. The scheduled service and the <c>prune</c> command both use it.
/// </summary>
public sealed class ReadModelKitMaintenance
{
    private readonly NpgsqlReadModelStore _store;
    private readonly OutboxPruner _outbox;
    private readonly ProjectionCatalog _catalog;
    private readonly MaintenanceOptions _options;

    /// <summary>Creates the maintenance of <paramref name="store"/>; the container does this.</summary>
    /// <param name="store">The initialized store.</param>
    /// <param name="outbox">The outbox pruner.</param>
    /// <param name="catalog">The registered projections.</param>
    /// <param name="options">The hosting options.</param>
    public ReadModelKitMaintenance(NpgsqlReadModelStore store, OutboxPruner outbox, ProjectionCatalog catalog, IOptions<ReadModelKitHostingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _outbox = outbox;
        _catalog = catalog;
        _options = options.Value.Maintenance;
    }

    /// <summary>The maintenance settings in use.</summary>
    public MaintenanceOptions Options => _options;

    /// <summary>Deletes what retention allows: old inbox rows, old tombstones (when a retention is set), outbox events every reader has passed.</summary>
    /// <param name="cancellationToken">Stops between batches.</param>
    public async Task<MaintenanceReport> PruneAsync(CancellationToken cancellationToken = default)
    {
        var inbox = new Dictionary<string, long>(StringComparer.Ordinal);
        var tombstones = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in _catalog.Contracts.Select(c => c.Name).Order(StringComparer.Ordinal))
        {
            if (_options.InboxRetention is { } keep)
            {
                inbox[name] = await _store.Retention.PruneInboxAsync(name, keep, _options.BatchSize, _options.MaxBatches, cancellationToken).ConfigureAwait(false);
            }

            var table = _store.GetApplier(name).Table;
            if (_options.TombstoneRetention is { } horizon && table.Tombstone is not null)
            {
                tombstones[name] = await _store.Retention.PurgeTombstonesAsync(table, horizon, _options.BatchSize, _options.MaxBatches, cancellationToken).ConfigureAwait(false);
            }
        }

        var outbox = _options.PruneOutbox
            ? await _outbox.PruneAllAsync(_options.OutboxMinimumAge, _options.BatchSize, _options.MaxBatches, cancellationToken).ConfigureAwait(false)
            : [];
        return new MaintenanceReport(inbox, tombstones, outbox);
    }

    /// <summary>Checks every projection that has a recompute query for drift, recording incidents.</summary>
    /// <param name="mode">Sampled or full.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    public Task<IReadOnlyList<DriftReport>> CheckDriftAsync(DriftCheckMode mode, CancellationToken cancellationToken = default) =>
        _store.Drift.CheckAllAsync(_options.Drift.CheckOptions(mode), cancellationToken);
}
