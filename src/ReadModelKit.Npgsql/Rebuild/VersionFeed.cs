using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Checkpoints;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// Tells an apply batch which physical tables to write, learned from the database on every node: the serving version and every
/// version being rebuilt or kept for rollback. Inside the batch transaction it reads the projection's version row FOR KEY SHARE, so a
/// change of the fed versions (which bumps the row's generation, a key column) waits for in-flight batches, and every later batch sees
/// it. The statements for a generation are built once and cached.
/// </summary>
internal sealed class VersionFeed
{
    private readonly RebuildRunStore _runs;
    private readonly ReadModelTable _table;
    private readonly IdempotencyMode _mode;
    private readonly SqlIdentifier _schema;
    private readonly NpgsqlCheckpointStore _checkpoints;
    private readonly bool _prepare;
    private volatile Resolved? _cached;

    public VersionFeed(NpgsqlDataSource dataSource, SqlIdentifier schema, ReadModelTable table, IdempotencyMode mode, NpgsqlCheckpointStore checkpoints, bool prepare)
    {
        _checkpoints = checkpoints;
        _runs = new RebuildRunStore(dataSource, schema);
        _schema = schema;
        _table = table;
        _mode = mode;
        _prepare = prepare;
    }

    /// <summary>The apply statements for the versions fed now; the version row stays locked (FOR KEY SHARE) until the transaction ends.</summary>
    public async Task<ApplyStatements> ResolveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var versions = await _runs.TryReadVersionsAsync(connection, transaction, _table.ProjectionName, forChange: false, cancellationToken, _prepare).ConfigureAwait(false);
        if (versions is null)
        {
            // The first batch ever: create the row, so that adopting the table (which updates it) waits for batches holding it.
            await _runs.EnsureVersionRowAsync(connection, transaction, _table.ProjectionName, cancellationToken).ConfigureAwait(false);
            versions = await _runs.ReadVersionsAsync(connection, transaction, _table.ProjectionName, forChange: false, cancellationToken).ConfigureAwait(false);
        }

        var cached = _cached;
        if (cached is not null && cached.Generation == versions.Generation)
        {
            return cached.Statements;
        }

        var targets = Targets(_table, versions);
        var statements = new ApplyStatements(_table, _mode, _schema, _checkpoints, targets);
        _cached = new Resolved(versions.Generation, statements);
        return statements;
    }

    /// <summary>The physical tables of the fed versions (serving first), or the mapped table itself while it is not adopted.</summary>
    public static IReadOnlyList<ReadModelTable> Targets(ReadModelTable table, ProjectionVersions versions) =>
        versions.Serving is null || versions.Fed.Count == 0
            ? [table]
            : versions.Fed.Select(v => table.WithTable(ProjectionVersions.PhysicalName(table.Mapping.Table, v))).ToList();

    private sealed record Resolved(long Generation, ApplyStatements Statements);
}
