using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Drift detection when the source and the read model share one database. Everything runs inside one REPEATABLE READ snapshot, so
/// writes committed meanwhile cannot produce false drift. The keys are cut into chunks of about <see cref="SameDatabaseDriftOptions.ChunkSize"/>
/// rows by a hash of the key (not by key range: a range scan over a table whose physical order does not follow the key visits a heap page
/// per row). Pass 1 groups each side by chunk into (row count, sum of row hashes) — the two sides on two connections at once, the second
/// importing the first's exported snapshot — and merges the two chunk-ordered streams, keeping only the ids of chunks that differ. Pass 2 is one statement: the recompute query and the live read-model rows of those chunks only, FULL
/// JOINed on the key with IS DISTINCT FROM on every value column, returning only differing rows. With no drift the check is one pass that
/// returns nothing; client memory holds the differing chunk ids and streams the differing rows.
/// </summary>
internal sealed class SameDatabaseDetector : IDriftDetector
{
    private const int StreamBatch = 1000;

    // Keys compared or fetched per statement: each statement is a round trip per side, and keys are looked up by index.
    private const int KeyBatch = 10_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly DriftTable _table;
    private readonly SqlIdentifier _schema;
    private readonly DriftCheckOptions _options;
    private readonly ReceivedBytes _received;
    private readonly KeyOrder _order;
    private readonly IReadOnlyList<string> _actualKeys;
    private IReadOnlyList<string>? _sourceKeys;

    public SameDatabaseDetector(NpgsqlDataSource dataSource, DriftTable table, SqlIdentifier schema, DriftCheckOptions options, ReceivedBytes received)
    {
        _received = received;
        _dataSource = dataSource;
        _table = table;
        _schema = schema;
        _options = options;
        _order = new KeyOrder(table.Keys, byteWise: false);
        _actualKeys = DriftTable.Refs(table.Keys, "t");
    }

    public async Task<IDriftComparison> OpenAsync(CancellationToken cancellationToken)
    {
        var connections = new List<IAsyncDisposable>();
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            connections.Add(connection);
            var transaction = await DriftSession.BeginCheckAsync(connection, _options, cancellationToken).ConfigureAwait(false);
            var snapshot = await DriftSession.ExportSnapshotAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            var pass = await ReadPassAsync(connection, cancellationToken).ConfigureAwait(false);
            _sourceKeys ??= await SourceShape.KeyExpressionsAsync(connection, _table, "q", cancellationToken).ConfigureAwait(false);
            var other = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            connections.Add(other);
            var otherTransaction = await DriftSession.BeginCheckAsync(other, _options, cancellationToken, snapshot).ConfigureAwait(false);
            return new Comparison(this, connection, transaction, other, otherTransaction, pass);
        }
        catch
        {
            foreach (var opened in connections)
            {
                await opened.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Pass 1 over every range, then pass 2 over the differing chunks of each, on the two snapshot connections.</summary>
    private async Task CompareAsync(NpgsqlConnection connection, NpgsqlConnection other, DriftFindings findings, CancellationToken cancellationToken)
    {
        var ranges = _options.Mode == DriftCheckMode.Full
            ? [KeyBlock.Everything]
            : await KeySampler.RangesAsync(connection, _table, _order, _options, cancellationToken).ConfigureAwait(false);
        var estimated = await DriftSession.EstimatedRowsAsync(connection, _table.Table.QualifiedName, cancellationToken).ConfigureAwait(false);
        var chunks = (long)Math.Clamp(Math.Ceiling(Math.Max(1, estimated) / _options.SameDatabase.ChunkSize), 1, BlockPlanner.MaxGroups);
        var hash = connection.PostgreSqlVersion.Major >= 14 ? DriftRowHash.Binary : DriftRowHash.CanonicalText;
        foreach (var range in ranges)
        {
            var differing = await DifferingChunksAsync(connection, other, range, chunks, hash, findings, cancellationToken).ConfigureAwait(false);
            findings.AddRanges(differing.Count);
            if (differing.Count == 0)
            {
                continue;
            }

            if ((long)differing.Count * _options.SameDatabase.ChunkSize <= _options.SameDatabase.ChunkRowsLimit)
            {
                await CompareChunkRowsAsync(connection, other, range, chunks, hash, differing, findings, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await CompareChunksAsync(connection, range, chunks, hash, differing, findings, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<(DriftPass Pass, IReadOnlyList<DriftDifference> Differences)> RecheckAsync(IReadOnlyList<RowKey> keys, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await DriftSession.BeginCheckAsync(connection, _options, cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        var pass = await ReadPassAsync(connection, cancellationToken).ConfigureAwait(false);
        _sourceKeys ??= await SourceShape.KeyExpressionsAsync(connection, _table, "q", cancellationToken).ConfigureAwait(false);
        var differences = new List<DriftDifference>();
        foreach (var batch in keys.Chunk(KeyBatch))
        {
            differences.AddRange(await CompareKeysAsync(connection, batch, cancellationToken).ConfigureAwait(false));
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (pass, differences);
    }

    /// <summary>The differences among <paramref name="keys"/>, compared with IS DISTINCT FROM in the connection's transaction.</summary>
    private async Task<List<DriftDifference>> CompareKeysAsync(NpgsqlConnection connection, IReadOnlyList<RowKey> keys, CancellationToken cancellationToken)
    {
        var parameters = new SqlParameters();
        var arrays = _table.NewKeyArrays();
        foreach (var key in keys)
        {
            arrays.Add([.. key]);
        }

        arrays.Bind(parameters);
        var keyList = $"SELECT * FROM ({arrays.Unnest("u")}) AS k";
        var sql = CompareSql(
            $"({string.Join(", ", _sourceKeys!)}) IN ({keyList})",
            $"({string.Join(", ", _actualKeys)}) IN ({keyList})");
        using var command = new NpgsqlCommand(sql, connection);
        parameters.CopyTo(command.Parameters);
        var rows = await CountedRows.OpenAsync(command, _received, cancellationToken).ConfigureAwait(false);
        await using var rowsScope = rows.ConfigureAwait(false);
        var differences = new List<DriftDifference>();
        while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            differences.Add(ReadDifference(rows.Row, _table.Keys.Count));
        }

        return differences;
    }

    /// <summary>
    /// Pass 2 for few differing chunks: both sides' rows of those chunks, sorted by key identity, merged on the client as they stream
    /// (<see cref="LeafMerge"/>: keys are read only of rows that differ); the candidate keys are then compared with IS DISTINCT FROM, so
    /// only real differences are reported.
    /// </summary>
    private async Task CompareChunkRowsAsync(NpgsqlConnection connection, NpgsqlConnection other, KeyBlock range, long chunks, DriftRowHash hash, List<long> differing, DriftFindings findings, CancellationToken cancellationToken)
    {
        using var expected = ChunkRows(connection, range, chunks, hash, differing, expectedSide: true);
        using var actual = ChunkRows(other, range, chunks, hash, differing, expectedSide: false);
        var candidates = await LeafMerge.CompareAsync(expected, actual, _table.Keys.Count, _received, cancellationToken).ConfigureAwait(false);
        foreach (var batch in candidates.Select(f => f.Key).Chunk(KeyBatch))
        {
            var differences = await CompareKeysAsync(connection, batch, cancellationToken).ConfigureAwait(false);
            findings.AddChecked(differences.Count(d => d.Kind == DriftKind.Missing));
            await findings.AddAsync(differences, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One side's rows of the <paramref name="differing"/> chunks as leaf rows (see <see cref="HashedRows.Leaves"/>).</summary>
    private NpgsqlCommand ChunkRows(NpgsqlConnection connection, KeyBlock range, long chunks, DriftRowHash hash, List<long> differing, bool expectedSide)
    {
        var (parameters, where) = Bound(range);
        var inChunks = BlockFilter.In(parameters, differing, chunks);
        var command = new NpgsqlCommand(new HashedRows(_table, hash).Leaves(SideRows(expectedSide, where), inChunks), connection);
        parameters.CopyTo(command.Parameters);
        return command;
    }

    /// <summary>The parameters and the key-range predicates of one statement over <paramref name="range"/> within the check's scope.</summary>
    private (SqlParameters Parameters, KeyRangeSql Where) Bound(KeyBlock range) => KeyRangeSql.Bound(_table, _options.Scope, range);

    private async Task<DriftPass> ReadPassAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (_options.SourcePosition is not { } source)
        {
            return new DriftPass(0, 0, LagAware: false);
        }

        var sourcePosition = await source(connection, cancellationToken).ConfigureAwait(false);
        var projectionPosition = await DriftSession.ProjectionPositionAsync(connection, _options, _schema, _table.ProjectionName, cancellationToken).ConfigureAwait(false);
        return new DriftPass(sourcePosition, projectionPosition, LagAware: true);
    }

    /// <summary>One side's key and value columns (read-model names and types) within <paramref name="where"/>: the recompute query, or the live read-model rows.</summary>
    private string SideRows(bool expectedSide, KeyRangeSql where) => expectedSide
        ? $"SELECT {_table.ExpectedColumns("q")} FROM {_table.RecomputeSql} AS q WHERE {where.Where(_order, _sourceKeys!)}"
        : $"SELECT {_table.ActualColumns("t")} FROM {_table.Table.QualifiedName} t WHERE {_table.Live("t")} AND {where.Where(_order, _actualKeys)}";

    /// <summary>
    /// Pass 1: each side grouped by chunk into (row count, row-hash sum), the two sides on two connections at once (<paramref name="other"/>
    /// imported the first's snapshot), streamed in chunk order and merged: returns the ids of chunks that differ, counts the live read-model rows.
    /// </summary>
    private async Task<List<long>> DifferingChunksAsync(NpgsqlConnection connection, NpgsqlConnection other, KeyBlock range, long chunks, DriftRowHash hash, DriftFindings findings, CancellationToken cancellationToken)
    {
        using var expected = ChunkHashes(connection, range, chunks, hash, expectedSide: true);
        using var actual = ChunkHashes(other, range, chunks, hash, expectedSide: false);
        var (differing, live) = await BothSides.MergeAsync(expected, actual, _received, (e, a) => MergeChunksAsync(e, a, cancellationToken), cancellationToken).ConfigureAwait(false);
        findings.AddChecked(live);
        return differing;
    }

    /// <summary>Merges two chunk-ordered streams of (chunk, row count, hash): the chunks that differ, and the live read-model rows.</summary>
    private static async Task<(List<long> Differing, long Live)> MergeChunksAsync(CountedRows e, CountedRows a, CancellationToken cancellationToken)
    {
        var differing = new List<long>();
        long live = 0;
        var hasE = await e.ReadAsync(cancellationToken).ConfigureAwait(false);
        var hasA = await a.ReadAsync(cancellationToken).ConfigureAwait(false);
        while (hasE || hasA)
        {
            var eb = hasE ? HashedRows.ReadBlock(e.Row) : (Block: long.MaxValue, Count: 0L, Hash: "");
            var ab = hasA ? HashedRows.ReadBlock(a.Row) : (Block: long.MaxValue, Count: 0L, Hash: "");
            var chunk = Math.Min(eb.Block, ab.Block);
            if (eb != ab)
            {
                differing.Add(chunk);
            }

            if (ab.Block == chunk)
            {
                live += ab.Count;
                hasA = await a.ReadAsync(cancellationToken).ConfigureAwait(false);
            }

            if (eb.Block == chunk)
            {
                hasE = await e.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return (differing, live);
    }

    /// <summary>One side's (chunk, row count, row-hash aggregate) in chunk order (see <see cref="HashedRows.Level"/>); the key hash and the row's field XOR are computed once per row.</summary>
    private NpgsqlCommand ChunkHashes(NpgsqlConnection connection, KeyBlock range, long chunks, DriftRowHash hash, bool expectedSide)
    {
        var (parameters, where) = Bound(range);
        var relation = SideRows(expectedSide, where);
        var rows = new HashedRows(_table, hash);
        var command = new NpgsqlCommand(rows.Level(relation, chunks, keyHashFilter: null, ordered: true), connection);
        parameters.CopyTo(command.Parameters);
        return command;
    }

    /// <summary>Pass 2: the rows of the differing chunks, joined on the key; only differing rows come back, streamed to the findings.</summary>
    private async Task CompareChunksAsync(NpgsqlConnection connection, KeyBlock range, long chunks, DriftRowHash hash, List<long> differing, DriftFindings findings, CancellationToken cancellationToken)
    {
        var (parameters, where) = Bound(range);
        var inDiffering = BlockFilter.In(parameters, differing, chunks);
        var inChunks = (IEnumerable<(DriftColumnType, string)> keys) => inDiffering(CanonicalRowEncoding.BucketHash(hash, keys));
        var sql = CompareSql(
            $"{where.Where(_order, _sourceKeys!)} AND {inChunks(_table.Keys.Select(k => (k.Type, DriftTable.Cast(k, "q"))))}",
            $"{where.Where(_order, _actualKeys)} AND {inChunks(_table.Keys.Select(k => (k.Type, $"t.{k.Quoted}")))}");
        using var command = new NpgsqlCommand(sql, connection);
        parameters.CopyTo(command.Parameters);
        var reader = await CountedRows.OpenAsync(command, _received, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var differences = new List<DriftDifference>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var difference = ReadDifference(reader.Row, _table.Keys.Count);
            differences.Add(difference);
            if (difference.Kind == DriftKind.Missing)
            {
                findings.AddChecked(1);
            }

            if (differences.Count >= StreamBatch)
            {
                await findings.AddAsync(differences, cancellationToken).ConfigureAwait(false);
                differences = [];
            }
        }

        await findings.AddAsync(differences, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The FULL JOIN of expected (recompute query) and actual (live read-model rows) restricted by the given predicates, returning
    /// kind, key columns, expected JSON and actual JSON.
    /// </summary>
    private string CompareSql(string expectedWhere, string actualWhere)
    {
        var keys = _table.Keys;
        var values = _table.Values;
        var rm = _table.Table.QualifiedName;
        var on = string.Join(" AND ", keys.Select(k => $"e.{k.Quoted} = a.{k.Quoted}"));
        var differs = values.Count == 0
            ? "false"
            : $"ROW({string.Join(", ", values.Select(v => CanonicalRowEncoding.Comparable(v.Type, "e." + v.Quoted)))}) IS DISTINCT FROM ROW({string.Join(", ", values.Select(v => CanonicalRowEncoding.Comparable(v.Type, "a." + v.Quoted)))})";
        return $"""
            WITH e AS (
                SELECT x.*, count(*) OVER (PARTITION BY {string.Join(", ", keys.Select(k => "x." + k.Quoted))}) AS rmk_n
                FROM (SELECT 1 AS rmk_in, {_table.ExpectedColumns("q")} FROM {_table.RecomputeSql} AS q WHERE {expectedWhere}) AS x
            ), a AS (
                SELECT 1 AS rmk_in, {_table.ActualColumns("t")} FROM {rm} t WHERE {_table.Live("t")} AND {actualWhere}
            )
            SELECT CASE WHEN e.rmk_n > 1 THEN {DuplicateKind} WHEN a.rmk_in IS NULL THEN {(int)DriftKind.Missing} WHEN e.rmk_in IS NULL THEN {(int)DriftKind.Extra} ELSE {(int)DriftKind.Changed} END,
                   {string.Join(", ", keys.Select(k => $"coalesce(e.{k.Quoted}, a.{k.Quoted})"))},
                   CASE WHEN e.rmk_in IS NOT NULL THEN {_table.ValuesJson("e")} END,
                   CASE WHEN a.rmk_in IS NOT NULL THEN {_table.ValuesJson("a")} END
            FROM e FULL JOIN a ON {on}
            WHERE e.rmk_in IS NULL OR a.rmk_in IS NULL OR e.rmk_n > 1 OR {differs}
            """;
    }

    /// <summary>The kind <see cref="CompareSql"/> returns for a key the recompute query returns more than once.</summary>
    private const int DuplicateKind = 0;

    private DriftDifference ReadDifference(NpgsqlDataReader reader, int keyCount)
    {
        var key = DriftReading.Key(reader, 1, keyCount);
        if (reader.GetInt32(0) == DuplicateKind)
        {
            throw RecomputeSqlException.DuplicateKey(_table.ProjectionName, new RowKey(key!).ToString());
        }

        var expected = reader.IsDBNull(keyCount + 1) ? null : reader.GetString(keyCount + 1);
        var actual = reader.IsDBNull(keyCount + 2) ? null : reader.GetString(keyCount + 2);
        return new DriftDifference(new RowKey(key!), (DriftKind)reader.GetInt32(0), expected, actual);
    }

    /// <summary>An open pass: the exporting connection and the one that imported its snapshot.</summary>
    private sealed class Comparison(SameDatabaseDetector detector, NpgsqlConnection connection, NpgsqlTransaction transaction, NpgsqlConnection other, NpgsqlTransaction otherTransaction, DriftPass pass) : IDriftComparison
    {
        public DriftPass Pass => pass;

        // Pass 1's hash only selects chunks; every reported row was compared with IS DISTINCT FROM.
        public DriftRowHash? RowHash => null;

        public async Task CompareAsync(DriftFindings findings, CancellationToken cancellationToken)
        {
            await detector.CompareAsync(connection, other, findings, cancellationToken).ConfigureAwait(false);
            await otherTransaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await otherTransaction.DisposeAsync().ConfigureAwait(false);
            await transaction.DisposeAsync().ConfigureAwait(false);
            await other.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
