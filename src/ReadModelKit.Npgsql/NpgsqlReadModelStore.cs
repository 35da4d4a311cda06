using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReadModelKit.Checkpoints;
using ReadModelKit.Contracts;
using ReadModelKit.Exceptions;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Checkpoints;
using ReadModelKit.Npgsql.DeadLetters;
using ReadModelKit.Npgsql.Diagnostics;
using ReadModelKit.Npgsql.Freshness;
using ReadModelKit.Npgsql.Health;
using ReadModelKit.Npgsql.Maintenance;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Outbox;
using ReadModelKit.Npgsql.Privacy;
using ReadModelKit.Privacy;
using ReadModelKit.Npgsql.Schema;
using ReadModelKit.Npgsql.Sql;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql;

/// <summary>
/// The PostgreSQL store of ReadModelKit. Call <see cref="InitializeAsync"/> once at start-up: it migrates the library's
/// schema, checks every mapped table against the database and creates the checkpoints. Then take an applier per projection.
/// </summary>
public sealed class NpgsqlReadModelStore
{
    private readonly ReadModelKitDataSource _dataSource;
    private readonly NpgsqlReadModelOptions _options;
    private readonly IReadOnlyDictionary<string, IProjection> _projections;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly SqlIdentifier _schema;
    private readonly ILogger _logger;
    private readonly PayloadSealer? _sealer;
    private Dictionary<string, ProjectionApplier>? _appliers;
    private Drift.DriftReconciler? _drift;
    private Rebuild.RebuildOrchestrator? _rebuilds;
    private Control.ProjectionControl? _control;

    /// <summary>Creates the store; DI does this through <c>UseNpgsql</c>. Every projection's contract is validated here, whichever way the store is built.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="options">The store options, including table mappings.</param>
    /// <param name="projections">The registered projections.</param>
    /// <param name="time">The clock.</param>
    /// <param name="loggers">Logger factory, or null for none.</param>
    /// <exception cref="ProjectionContractException">A projection's contract is invalid; the message lists every problem.</exception>
    /// <exception cref="ReadModelKitException"><see cref="NpgsqlReadModelOptions.PiiDigestKey"/> or <see cref="NpgsqlReadModelOptions.PiiSealingKey"/> is not a valid key.</exception>
    public NpgsqlReadModelStore(ReadModelKitDataSource dataSource, NpgsqlReadModelOptions options, IEnumerable<IProjection> projections, TimeProvider time, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(projections);
        _dataSource = dataSource;
        _options = options;
        var list = projections.ToList();
        foreach (var projection in list)
        {
            ProjectionContractValidator.ThrowIfInvalid(projection.Contract);
        }

        _projections = list.ToDictionary(p => p.Contract.Name, StringComparer.Ordinal);
        _time = time ?? TimeProvider.System;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger("ReadModelKit.Npgsql");
        _schema = SqlIdentifier.From(options.Schema, "ReadModelKit schema");
        var keyErrors = options.ValidateKeys();
        if (keyErrors.Count > 0)
        {
            throw new ReadModelKitException($"ReadModelKit.Npgsql options are invalid ({keyErrors.Count}):{Environment.NewLine} - {string.Join(Environment.NewLine + " - ", keyErrors)}");
        }

        PiiMasker = NpgsqlReadModelOptions.Decode(options.PiiDigestKey) is { } digestKey ? new PiiMasker(digestKey) : PiiMasker.Ephemeral();
        _sealer = NpgsqlReadModelOptions.Decode(options.PiiSealingKey) is { } sealingKey ? new PayloadSealer(sealingKey) : null;
        Checkpoints = new NpgsqlCheckpointStore(dataSource.DataSource, _schema, _time);
        DeadLetters = new DeadLetterStore(dataSource.DataSource, _schema, GetApplier, _logger);
        Retention = new RetentionPruner(dataSource.DataSource, _schema, _time, _logger, GetApplier);
        Outbox = new OutboxWriter(_schema, options.Outbox);
        var status = new ProjectionStatusReader(dataSource.DataSource, _schema, _time);
        Freshness = new ProjectionFreshness(status, GetApplier, _time);
        Health = new ProjectionHealthCheck(status, GetApplier);
    }

    /// <summary>Lists, replays and skips dead-lettered events.</summary>
    public DeadLetterStore DeadLetters { get; }

    /// <summary>The owner of every projection's checkpoints (the only writer of the checkpoint table).</summary>
    public NpgsqlCheckpointStore Checkpoints { get; }

    /// <summary>Bounded pruning of inbox rows, tombstones, resolved dead letters and repaired drift incidents; purging of personal data from open dead letters.</summary>
    public RetentionPruner Retention { get; }

    /// <summary>Appends events to the transactional outbox inside the application's command transaction.</summary>
    public OutboxWriter Outbox { get; }

    /// <summary>Freshness blocks, per-partition status and read-your-writes waits.</summary>
    public ProjectionFreshness Freshness { get; }

    /// <summary>Health verdicts that notice stalls, not just a live loop.</summary>
    public ProjectionHealthCheck Health { get; }

    /// <summary>Pause, resume and restart of projections and partitions, obeyed by every runner node.</summary>
    public Control.ProjectionControl Control => _control ??= new Control.ProjectionControl(this);

    /// <summary>
    /// The masker whose digests stand in for masked values in drift incidents, reports, dead-letter listings and error texts; an
    /// operator can digest a value to look for it (<see cref="PiiMasker.Digest(string)"/>).
    /// </summary>
    public PiiMasker PiiMasker { get; }

    /// <summary>The schema holding the library's tables.</summary>
    public string Schema => _schema.Name;

    /// <summary>The validated schema of the library's tables.</summary>
    internal SqlIdentifier SchemaIdentifier => _schema;

    /// <summary>Drift checks and repairs of the projections in this store's own database (see <see cref="Drift.DriftReconciler"/>; for a source on another server, construct one with it).</summary>
    public Drift.DriftReconciler Drift => _drift ??= new Drift.DriftReconciler(this);

    /// <summary>Rebuilds into a new version beside the serving one, cutover, rollback, retire, and repair in place (see <see cref="Rebuild.RebuildOrchestrator"/>).</summary>
    public Rebuild.RebuildOrchestrator Rebuilds => _rebuilds ??= new Rebuild.RebuildOrchestrator(this, _options.Rebuild);

    /// <summary>The registered projection named <paramref name="projectionName"/>.</summary>
    internal IProjection GetProjection(string projectionName) =>
        _projections.TryGetValue(projectionName, out var projection)
            ? projection
            : throw new ReadModelKitException($"No projection named '{projectionName}' is registered with ReadModelKit.Npgsql. Registered: {string.Join(", ", _projections.Keys)}.", projectionName);

    /// <summary>The data source of the read models and the library's tables.</summary>
    internal global::Npgsql.NpgsqlDataSource DataSource => _dataSource.DataSource;

    /// <summary>The registered projections (after <see cref="InitializeAsync"/>).</summary>
    internal IReadOnlyCollection<string> ProjectionNames => (_appliers ?? throw new InvalidOperationException("Call NpgsqlReadModelStore.InitializeAsync at start-up first.")).Keys;

    /// <summary>Whether <see cref="InitializeAsync"/> has completed.</summary>
    internal bool IsInitialized => _appliers is not null;

    /// <summary>The store's clock.</summary>
    internal TimeProvider Time => _time;

    /// <summary>The store's logger factory.</summary>
    internal ILoggerFactory Loggers => _loggers;

    /// <summary>
    /// Migrates the schema, checks every mapping against its live table (all problems of all projections in one exception)
    /// and creates the checkpoint rows. Safe to call from several processes at once, and more than once.
    /// </summary>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <exception cref="ReadModelMappingException">A mapped table does not match its mapping.</exception>
    /// <exception cref="Drift.RecomputeSqlException">A mapping's recompute query holds more than one statement (checked before anything is written).</exception>
    /// <exception cref="ReadModelKitException">A mapping names an unregistered projection, or a registered projection has no mapping, or a contract declares a key column masked.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        foreach (var (name, mapping) in _options.Mappings)
        {
            if (mapping.RecomputeSql is { } recompute)
            {
                RecomputeQuery.Normalize(name, recompute);
            }
        }

        var dataSource = _dataSource.DataSource;
        var from = await new SchemaMigrator(dataSource, _schema.Name).MigrateAsync(cancellationToken).ConfigureAwait(false);
        if (from != SchemaMigrator.LatestVersion)
        {
            NpgsqlLog.SchemaMigrated(_logger, _schema.Name, from, SchemaMigrator.LatestVersion);
        }

        var unmapped = _projections.Keys.Where(name => !_options.Mappings.ContainsKey(name)).ToList();
        var unknown = _options.Mappings.Keys.Where(name => !_projections.ContainsKey(name)).ToList();
        if (unmapped.Count > 0 || unknown.Count > 0)
        {
            var problems = unmapped.Select(n => $"projection '{n}' has no table mapping: add o.Map(\"{n}\", new ReadModelTableMapping {{ … }}) in UseNpgsql")
                .Concat(unknown.Select(n => $"a table mapping names '{n}', which is not a registered projection: register it with AddProjection(projection) or remove the mapping"));
            throw new ReadModelKitException("ReadModelKit.Npgsql cannot start: " + string.Join("; ", problems) + ".");
        }

        var maskedKeys = _projections.Values
            .SelectMany(p => PiiPolicy.For(p.Contract).MaskedColumns.Intersect(_options.Mappings[p.Contract.Name].KeyColumns ?? [], StringComparer.Ordinal)
                .Select(c => $"projection '{p.Contract.Name}' declares key column '{c}' masked: keys appear in incidents, dead letters and logs, so key the table by an id and keep the personal value in a value column"))
            .ToList();
        if (maskedKeys.Count > 0)
        {
            throw new ReadModelKitException("ReadModelKit.Npgsql cannot start: " + string.Join("; ", maskedKeys) + ".");
        }

        var appliers = new Dictionary<string, ProjectionApplier>(StringComparer.Ordinal);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            foreach (var (name, projection) in _projections)
            {
                var table = await ReadModelTableInspector.InspectAsync(connection, name, _options.Mappings[name], cancellationToken).ConfigureAwait(false);
                var privacy = new ProjectionPrivacy(name, PiiPolicy.For(projection.Contract), PiiMasker, _sealer);
                // Outbox-fed dead letters are restored from the outbox (the pruner keeps their events), so only other sources need the key.
                if (_sealer is null && projection.Contract.Source.Kind != SourceKind.Outbox && (privacy.Policy.MaskedFields.Count > 0 || privacy.Policy.ProhibitedFields.Count > 0))
                {
                    NpgsqlLog.NoSealingKey(_logger, name, string.Join(", ", privacy.Policy.MaskedFields.Concat(privacy.Policy.ProhibitedFields).Order(StringComparer.Ordinal)));
                }

                appliers[name] = new ProjectionApplier(dataSource, projection, table, _schema, Checkpoints, _options.Apply, _time, _loggers.CreateLogger("ReadModelKit.Npgsql.Apply"), privacy);
            }
        }

        foreach (var name in appliers.Keys)
        {
            await Checkpoints.EnsureAsync(CheckpointSet.Live(name), partitionCount: 1, cancellationToken).ConfigureAwait(false);
        }

        _appliers = appliers;
    }

    /// <summary>The applier of one projection.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <exception cref="InvalidOperationException"><see cref="InitializeAsync"/> has not run.</exception>
    /// <exception cref="ReadModelKitException">No projection has that name.</exception>
    public ProjectionApplier GetApplier(string projectionName)
    {
        var appliers = _appliers ?? throw new InvalidOperationException("Call NpgsqlReadModelStore.InitializeAsync at start-up before applying events.");
        return appliers.TryGetValue(projectionName, out var applier)
            ? applier
            : throw new ReadModelKitException($"No projection named '{projectionName}' is registered with ReadModelKit.Npgsql. Registered: {string.Join(", ", appliers.Keys)}.", projectionName);
    }
}
