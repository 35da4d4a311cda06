using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Events;
using ReadModelKit.Npgsql;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.DeadLetters;
using ReadModelKit.Projections;
using ReadModelKit.Testing.Postgres;

namespace ReadModelKit.Testing.Harness;

/// <summary>
/// One projection applied by a real <see cref="NpgsqlReadModelStore"/> on a schema of its own inside a <see cref="PostgresTestSchema"/>:
/// the read-model table, ReadModelKit's tables, and a way to start again from empty with a fresh projection instance.
/// The testing helpers own everything in the sandbox's schemas; nothing else writes there.
/// </summary>
public sealed class ProjectionSandbox
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SwappableProjection _projection;
    private readonly string[] _resetSql;
    private readonly string _rowsSql;

    private ProjectionSandbox(NpgsqlDataSource dataSource, ProjectionSetup setup, SwappableProjection projection, NpgsqlReadModelStore store, string schema)
    {
        _dataSource = dataSource;
        _projection = projection;
        Setup = setup;
        Store = store;
        Schema = schema;
        Applier = store.GetApplier(projection.Contract.Name);
        var table = Applier.Table;
        var library = $"\"{store.Schema}\"";
        _resetSql =
        [
            $"TRUNCATE {table.QualifiedName}, {library}.inbox, {library}.dead_letter",
            $"UPDATE {library}.checkpoint SET position = 0, last_source_time = NULL WHERE projection_name = $1",
        ];
        var keys = string.Join(", ", table.Keys.Select(k => Quote(k.Name)));
        var values = string.Join("", table.Values.Select(v => ", " + Quote(v.Name)));
        var tombstone = table.Tombstone is { } t ? $"{t} IS NOT NULL" : "false";
        _rowsSql = $"SELECT {keys}, {Quote(table.Version.Name)}::int8, {tombstone}{values} FROM {table.QualifiedName} ORDER BY {keys}";
    }

    /// <summary>What the sandbox applies.</summary>
    public ProjectionSetup Setup { get; }

    /// <summary>The store (its dead letters, freshness and status are the sandbox's).</summary>
    public NpgsqlReadModelStore Store { get; }

    /// <summary>The projection's applier in this sandbox.</summary>
    public ProjectionApplier Applier { get; }

    /// <summary>The schema holding the read-model table (ReadModelKit's tables are in <c>{Schema}_rmk</c>).</summary>
    public string Schema { get; }

    /// <summary>The projection instance currently applying events.</summary>
    public IProjection Projection => _projection.Inner;

    /// <summary>The changes each event produced the first time it was projected since the last reset.</summary>
    internal IReadOnlyDictionary<Guid, IReadOnlyList<RowChange>> ProjectedChanges => _projection.Changes;

    /// <summary>Creates the sandbox: a schema <c>{schema.Name}_{suffix}</c> with the read-model table, and an initialized store.</summary>
    /// <param name="schema">The test schema the sandbox lives in (dropped with it).</param>
    /// <param name="setup">The projection, its mapping and its table.</param>
    /// <param name="suffix">A short name unique within <paramref name="schema"/> (letters, digits, underscores).</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    public static async Task<ProjectionSandbox> CreateAsync(PostgresTestSchema schema, ProjectionSetup setup, string suffix = "sandbox", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(setup);
        var name = $"{schema.Name}_{suffix}";
        await schema.ExecuteAsync($"CREATE SCHEMA {Quote(name)}; SET search_path = {Quote(name)}; {setup.TableSql}; RESET search_path", cancellationToken).ConfigureAwait(false);
        var projection = new SwappableProjection(setup.Create());
        var options = new NpgsqlReadModelOptions { Schema = name + "_rmk" };
        options.Map(projection.Contract.Name, setup.Mapping with { Schema = name });
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(schema.DataSource), options, [projection], TimeProvider.System);
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        return new ProjectionSandbox(schema.DataSource, setup, projection, store, name);
    }

    /// <summary>Empties the read-model table and the sandbox's inbox, dead letters and checkpoint, and swaps in a fresh projection instance.</summary>
    /// <param name="cancellationToken">Cancels the reset.</param>
    public Task ResetAsync(CancellationToken cancellationToken = default) => ResetAsync(Setup.Create(), cancellationToken);

    /// <summary>As <see cref="ResetAsync(CancellationToken)"/>, keeping <paramref name="projection"/> (to replay with an instance that has already run, as a rebuild in a live process does).</summary>
    /// <param name="projection">The instance to apply with from now on.</param>
    /// <param name="cancellationToken">Cancels the reset.</param>
    public async Task ResetAsync(IProjection projection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var batch = _dataSource.CreateBatch();
        await using (batch.ConfigureAwait(false))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(_resetSql[0]));
            var checkpoint = new NpgsqlBatchCommand(_resetSql[1]);
            checkpoint.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _projection.Contract.Name });
            batch.BatchCommands.Add(checkpoint);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        _projection.Replace(projection);
    }

    /// <summary>Applies <paramref name="batches"/> one after another, each in its own transaction.</summary>
    /// <param name="batches">The batches.</param>
    /// <param name="cancellationToken">Cancels the application.</param>
    public async Task ApplyAsync(IEnumerable<IReadOnlyList<EventEnvelope>> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        foreach (var batch in batches)
        {
            await Applier.ApplyAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every row of the read-model table (tombstones included), in key order.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<IReadOnlyList<ReadModelRow>> ReadRowsAsync(CancellationToken cancellationToken = default)
    {
        var table = Applier.Table;
        using var command = _dataSource.CreateCommand(_rowsSql);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<ReadModelRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var keys = new object[table.Keys.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = reader.GetValue(i);
            }

            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < table.Values.Count; i++)
            {
                var value = reader.GetValue(keys.Length + 2 + i);
                values[table.Values[i].Name] = value is DBNull ? null : value;
            }

            rows.Add(new ReadModelRow
            {
                Key = new RowKey(keys).ToString(),
                Version = reader.GetInt64(keys.Length),
                IsTombstone = reader.GetBoolean(keys.Length + 1),
                Values = values,
            });
        }

        return rows;
    }

    /// <summary>The open dead letters (dead and parked) of the projection in this sandbox.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<DeadLetter>> DeadLettersAsync(CancellationToken cancellationToken = default) =>
        Store.DeadLetters.ListAsync(_projection.Contract.Name, cancellationToken);

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
