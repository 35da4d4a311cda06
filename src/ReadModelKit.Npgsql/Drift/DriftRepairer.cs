using Npgsql;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Apply;

using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Repairs drifted keys by recomputing them from the source through the same statement the apply path uses for recompute changes
/// (<see cref="RecomputeStatement"/>): changed or missing rows are written with the source's version (when the recompute query returns
/// it) or version + 1, extra rows are tombstoned (or deleted),
/// rows that already agree are not touched. The expected rows are read first, in a read-only snapshot of the source (the read model's own
/// database when they share one), and sent as text (fixed session settings on both sides make the text round-trip exact), so nothing the
/// recompute query does can write to the source. Each batch is one transaction that also closes the keys' open incidents, so a repair can
/// stop anywhere and run again: repairing twice changes nothing.
/// </summary>
internal sealed class DriftRepairer
{
    private readonly NpgsqlDataSource _readModel;
    private readonly NpgsqlDataSource? _source;
    private readonly DriftTable _table;
    private readonly DriftIncidentStore _incidents;
    private readonly TimeProvider _time;
    private readonly string _statement;

    public DriftRepairer(NpgsqlDataSource readModel, NpgsqlDataSource? source, DriftTable table, DriftIncidentStore incidents, TimeProvider time)
    {
        _readModel = readModel;
        _source = source;
        _table = table;
        _incidents = incidents;
        _time = time;
        var columns = SourceColumns(table);
        var first = 2 + table.Keys.Count;
        var expected = $"""
            SELECT {string.Join(", ", columns.Select((c, i) => $"CAST(u.c{i} AS {c.FormattedType}) AS {ReadModelTable.Quote(c.Name)}"))}
            FROM unnest({string.Join(", ", columns.Select((_, i) => $"${first + i}::text[]"))}) AS u({string.Join(", ", columns.Select((_, i) => "c" + i))})
            """;
        _statement = RecomputeStatement.Build(table.Table, expected);
    }

    /// <summary>Repairs every open incident of the projection whose key is in <paramref name="scope"/>, oldest first.</summary>
    public async Task<DriftRepairResult> RepairOpenIncidentsAsync(DriftScope scope, int batchSize, CancellationToken cancellationToken)
    {
        var result = default(DriftRepairResult);
        var after = 0L;
        while (true)
        {
            var batch = await _incidents.OpenBatchAsync(_table, after, batchSize, scope, byteWise: _source is not null, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return result;
            }

            after = batch[^1].Id;
            result = Add(result, await RepairBatchAsync(batch.Select(b => b.Key).Distinct().ToList(), cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>Repairs the given keys (whether or not an incident names them).</summary>
    public async Task<DriftRepairResult> RepairKeysAsync(IReadOnlyCollection<RowKey> keys, int batchSize, CancellationToken cancellationToken)
    {
        var result = default(DriftRepairResult);
        foreach (var batch in keys.Distinct().Chunk(batchSize))
        {
            result = Add(result, await RepairBatchAsync(batch, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    private static DriftRepairResult Add(DriftRepairResult total, DriftRepairResult batch) =>
        new(total.KeysRepaired + batch.KeysRepaired, total.RowsWritten + batch.RowsWritten, total.IncidentsClosed + batch.IncidentsClosed, total.Batches + batch.Batches);

    private async Task<DriftRepairResult> RepairBatchAsync(IReadOnlyList<RowKey> keys, CancellationToken cancellationToken)
    {
        var expectedRows = await ReadExpectedAsync(_source ?? _readModel, keys, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var connection = await _readModel.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await FixSettingsAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        var parameters = new SqlParameters();
        parameters.AddValue(now.UtcDateTime);
        var arrays = _table.NewKeyArrays();
        foreach (var key in keys)
        {
            arrays.Add([.. key]);
        }

        arrays.Bind(parameters);
        foreach (var column in expectedRows)
        {
            parameters.AddValue(column);
        }

        int written;
        using (var command = new NpgsqlCommand(_statement, connection, transaction))
        {
            parameters.CopyTo(command.Parameters);
            written = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var closed = await _incidents.CloseAsync(connection, transaction, _table, keys, now, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new DriftRepairResult(keys.Count, written, closed, 1);
    }

    /// <summary>
    /// Reads the expected rows of <paramref name="keys"/> from the source as text columns (keys then values), in a read-only snapshot.
    /// </summary>
    /// <exception cref="RecomputeSqlException">The recompute query returns one of the keys more than once.</exception>
    private async Task<string?[][]> ReadExpectedAsync(NpgsqlDataSource source, IReadOnlyList<RowKey> keys, CancellationToken cancellationToken)
    {
        var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await DriftSession.BeginSnapshotAsync(connection, fixedTextSettings: true, cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);

        var sourceKeys = await SourceShape.KeyExpressionsAsync(connection, _table, "q", cancellationToken).ConfigureAwait(false);
        var parameters = new SqlParameters();
        var arrays = _table.NewKeyArrays();
        foreach (var key in keys)
        {
            arrays.Add([.. key]);
        }

        arrays.Bind(parameters);
        var columns = SourceColumns(_table);
        var sql = $"""
            SELECT {string.Join(", ", columns.Select(c => $"CAST(q.{ReadModelTable.Quote(c.Name)} AS {c.FormattedType})::text"))}
            FROM {_table.RecomputeSql} AS q
            WHERE ({string.Join(", ", sourceKeys)}) IN (SELECT * FROM ({arrays.Unnest("u")}) AS k)
            """;
        var values = columns.Select(_ => new List<string?>()).ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            parameters.CopyTo(command.Parameters);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                for (var i = 0; i < columns.Count; i++)
                {
                    values[i].Add(reader.IsDBNull(i) ? null : reader.GetString(i));
                }

                var key = "(" + string.Join(", ", Enumerable.Range(0, _table.Keys.Count).Select(i => values[i][^1])) + ")";
                if (!seen.Add(key))
                {
                    throw RecomputeSqlException.DuplicateKey(_table.ProjectionName, key);
                }
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return values.Select(v => v.ToArray()).ToArray();
    }

    /// <summary>The columns a cross-database repair reads from the source: keys, values, and the version when the recompute query returns it.</summary>
    private static List<PgColumn> SourceColumns(DriftTable table)
    {
        var columns = table.All.Select(c => c.Column).ToList();
        if (table.Table.Mapping.RecomputeReturnsVersion)
        {
            columns.Add(table.Table.Version);
        }

        return columns;
    }

    /// <summary>Fixes the text settings of a repair transaction, so text sent between the servers round-trips exactly.</summary>
    private static async Task FixSettingsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var settings = new NpgsqlCommand(CanonicalRowEncoding.SessionSettings, connection, transaction);
        await settings.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
