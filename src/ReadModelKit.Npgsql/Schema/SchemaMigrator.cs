using Npgsql;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Schema;

/// <summary>
/// Creates and migrates ReadModelKit's tables idempotently. Several processes may start at once: the migration
/// runs in one transaction under a transaction-scoped advisory lock, so exactly one of them applies each step.
/// </summary>
public sealed class SchemaMigrator
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;

    /// <summary>Creates the migrator.</summary>
    /// <param name="dataSource">The database to migrate.</param>
    /// <param name="schema">The schema holding the library's tables.</param>
    public SchemaMigrator(NpgsqlDataSource dataSource, string schema)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _schema = SqlIdentifier.From(schema, "ReadModelKit schema");
    }

    /// <summary>The schema version this release needs.</summary>
    public static int LatestVersion => SchemaMigrations.Latest;

    /// <summary>Brings the schema to <see cref="LatestVersion"/> and returns the version found before.</summary>
    /// <param name="cancellationToken">Cancels the migration (it then rolls back).</param>
    /// <exception cref="Exceptions.ReadModelKitException">The database holds a newer schema than this release knows.</exception>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('readmodelkit.migrate.' || $1, 0))", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schema.Name });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        using (var create = new NpgsqlCommand($"""
            CREATE SCHEMA IF NOT EXISTS {_schema.Quoted};
            CREATE TABLE IF NOT EXISTS {_schema.Quoted}.schema_version (
                version     integer     PRIMARY KEY,
                description text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int current;
        using (var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {_schema.Quoted}.schema_version", connection, transaction))
        {
            current = (int)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (current > LatestVersion)
        {
            throw new Exceptions.ReadModelKitException(
                $"Schema {_schema.Name} is at version {current}, newer than this release of ReadModelKit knows ({LatestVersion}). Upgrade the ReadModelKit packages of this application.");
        }

        foreach (var (version, description, sql) in SchemaMigrations.All.Where(m => m.Version > current))
        {
            using var step = new NpgsqlCommand(sql.Replace("{schema}", _schema.Quoted, StringComparison.Ordinal), connection, transaction);
            await step.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var record = new NpgsqlCommand($"INSERT INTO {_schema.Quoted}.schema_version (version, description) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = description });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return current;
    }
}
