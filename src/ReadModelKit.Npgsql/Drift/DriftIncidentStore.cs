using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The <c>drift_incident</c> table: one open incident per (projection, key), refreshed when a later check sees the key again, closed by repair.
/// Keys are stored as JSON arrays written with the session time zone fixed to UTC, so the same key always has the same JSON.
/// </summary>
internal sealed class DriftIncidentStore
{
    private const string Utc = "SET LOCAL TimeZone = 'UTC'";
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlIdentifier _schema;

    public DriftIncidentStore(NpgsqlDataSource dataSource, SqlIdentifier schema)
    {
        _dataSource = dataSource;
        _schema = schema;
    }

    /// <summary>Writes (or refreshes) one incident per difference; returns how many rows were written.</summary>
    public async Task<long> RecordAsync(DriftTable table, IReadOnlyList<DriftDifference> differences, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var unique = new Dictionary<RowKey, DriftDifference>();
        foreach (var difference in differences)
        {
            unique[difference.Key] = difference;
        }

        if (unique.Count == 0)
        {
            return 0;
        }

        var parameters = new SqlParameters();
        var projection = parameters.AddValue(table.ProjectionName);
        var at = parameters.AddValue(now.UtcDateTime);
        var arrays = table.NewKeyArrays();
        foreach (var key in unique.Keys)
        {
            arrays.Add([.. key]);
        }

        arrays.Bind(parameters);
        var kinds = parameters.AddValue(unique.Values.Select(d => KindText(d.Kind)).ToArray());
        var expected = parameters.AddValue(unique.Values.Select(d => d.Expected).ToArray());
        var actual = parameters.AddValue(unique.Values.Select(d => d.Actual).ToArray());
        var keyColumns = Enumerable.Range(0, table.Keys.Count).Select(i => "k" + i).ToList();
        var sql = $"""
            INSERT INTO {_schema.Quoted}.drift_incident AS i (projection_name, row_key, kind, expected, actual, detected_at, last_detected_at)
            SELECT {projection}, jsonb_build_array({string.Join(", ", keyColumns.Select((c, i) => arrays.Element(i, "d." + c)))}),
                   d.kind, d.expected::jsonb, d.actual::jsonb, {at}, {at}
            FROM unnest({string.Join(", ", arrays.Arrays)}, {kinds}::text[], {expected}::text[], {actual}::text[])
                AS d({string.Join(", ", keyColumns)}, kind, expected, actual)
            ON CONFLICT (projection_name, row_key) WHERE repaired_at IS NULL
            DO UPDATE SET kind = EXCLUDED.kind, expected = EXCLUDED.expected, actual = EXCLUDED.actual, last_detected_at = EXCLUDED.last_detected_at
            """;
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await UseUtcAsync(connection, transaction, cancellationToken).ConfigureAwait(false);

        int written;
        using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            parameters.CopyTo(command.Parameters);
            written = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>Incidents of a projection, oldest first.</summary>
    public async Task<IReadOnlyList<DriftIncident>> ListAsync(string projectionName, bool openOnly, int limit, CancellationToken cancellationToken)
    {
        using var command = _dataSource.CreateCommand($"""
            SELECT id, projection_name, row_key::text, kind, expected::text, actual::text, detected_at, last_detected_at, repaired_at
            FROM {_schema.Quoted}.drift_incident
            WHERE projection_name = $1 AND ($2 = false OR repaired_at IS NULL)
            ORDER BY id
            LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projectionName });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = openOnly });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var incidents = new List<DriftIncident>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            incidents.Add(new DriftIncident(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                ParseKind(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return incidents;
    }

    /// <summary>
    /// The next open incidents after <paramref name="afterId"/> whose keys are in <paramref name="scope"/>, with their keys converted back
    /// to the key column types. Key ranges compare in byte order when <paramref name="byteWise"/> (as a cross-database check does).
    /// </summary>
    public async Task<List<(long Id, RowKey Key)>> OpenBatchAsync(DriftTable table, long afterId, int limit, DriftScope scope, bool byteWise, CancellationToken cancellationToken)
    {
        var parameters = new SqlParameters();
        var arrays = table.NewKeyArrays();
        var range = new KeyRangeSql(arrays, table.Keys.Count, scope, null);
        arrays.Bind(parameters);
        var projection = parameters.AddValue(table.ProjectionName);
        var after = parameters.AddValue(afterId);
        var max = parameters.AddValue(limit);
        var keys = string.Join(", ", table.Keys.Select((k, i) => $"CAST(row_key->>{i} AS {k.Column.FormattedType}) AS k{i}"));
        var refs = Enumerable.Range(0, table.Keys.Count).Select(i => "i.k" + i).ToList();
        using var command = _dataSource.CreateCommand($"""
            SELECT i.id, {string.Join(", ", refs)}
            FROM (SELECT id, {keys} FROM {_schema.Quoted}.drift_incident WHERE projection_name = {projection} AND repaired_at IS NULL AND id > {after}) AS i
            WHERE {range.Where(new KeyOrder(table.Keys, byteWise), refs)}
            ORDER BY i.id
            LIMIT {max}
            """);
        parameters.CopyTo(command.Parameters);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var batch = new List<(long, RowKey)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            batch.Add((reader.GetInt64(0), new RowKey(DriftReading.Key(reader, 1, table.Keys.Count)!)));
        }

        return batch;
    }

    /// <summary>Closes the open incidents of <paramref name="keys"/> inside the caller's transaction (which has the time zone fixed to UTC).</summary>
    public async Task<long> CloseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DriftTable table, IReadOnlyList<RowKey> keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var parameters = new SqlParameters();
        var projection = parameters.AddValue(table.ProjectionName);
        var at = parameters.AddValue(now.UtcDateTime);
        var arrays = table.NewKeyArrays();
        foreach (var key in keys)
        {
            arrays.Add([.. key]);
        }

        arrays.Bind(parameters);
        var json = $"jsonb_build_array({string.Join(", ", table.Keys.Select(k => "k." + k.Quoted))})";
        using var command = new NpgsqlCommand($"""
            UPDATE {_schema.Quoted}.drift_incident SET repaired_at = {at}
            WHERE projection_name = {projection} AND repaired_at IS NULL
              AND row_key IN (SELECT {json} FROM ({arrays.Unnest("u")}) AS k)
            """, connection, transaction);
        parameters.CopyTo(command.Parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fixes the session time zone of a transaction that writes or matches incident keys.</summary>
    public static async Task UseUtcAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(Utc, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The kind as stored.</summary>
    public static string KindText(DriftKind kind) => kind switch
    {
        DriftKind.Missing => "missing",
        DriftKind.Extra => "extra",
        _ => "changed",
    };

    private static DriftKind ParseKind(string kind) => kind switch
    {
        "missing" => DriftKind.Missing,
        "extra" => DriftKind.Extra,
        _ => DriftKind.Changed,
    };
}
