using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Drift detection when the source and the read model live on different servers, without pulling either table over the wire.
/// Each side holds one REPEATABLE READ snapshot for the whole check (the read model's is taken first, so it can never be ahead of the
/// source's). Rows are grouped into blocks by a hash of the key (<c>kh</c>): level 0 has about rows / <see cref="CrossDatabaseDriftOptions.BlockSize"/>
/// blocks (<c>abs(kh % m0)</c>), and each level multiplies the block count by a whole factor, so every block's children
/// are exactly the keys of the parent (each level splits by at least the fan-out, wider when that reaches leaf-sized blocks in one
/// step; see <see cref="BlockPlanner.ChildFanOut"/>). Both sides send (row count, sum of <c>int8</c> row hashes, <see cref="CanonicalRowEncoding"/>) per block,
/// only for the children of blocks that differed; a differing block with at most <see cref="CrossDatabaseDriftOptions.LeafThreshold"/> rows per side is
/// compared by (key, row hash), a block empty on one side is streamed as all missing or all extra, and full rows (JSON) are fetched only
/// for differing keys. No key scan, no boundaries: every key falls into exactly one block on both sides. Every level is one sequential
/// scan per side (key ranges would visit a heap page per row on tables not ordered by key).
/// </summary>
internal sealed class CrossDatabaseDetector : IDriftDetector
{
    private const int StreamBatch = 1000;

    // Keys compared or fetched per statement: each statement is a round trip per side, and keys are looked up by index.
    private const int KeyBatch = 10_000;

    // Leaf rows per statement (each is a scan per side). The rows stream sorted and are merged as they come (only differing keys
    // are kept), so the bound is the server's sort: spread drift is compared in one scan per side rather than one per 100,000 rows.
    private const long LeafRowsPerBatch = 1_000_000;
    private readonly NpgsqlDataSource _source;
    private readonly NpgsqlDataSource _readModel;
    private readonly DriftTable _table;
    private readonly SqlIdentifier _schema;
    private readonly DriftCheckOptions _options;
    private readonly ReceivedBytes _received;
    private readonly KeyOrder _order;
    private readonly IReadOnlyList<string> _actualKeys;
    private readonly IReadOnlyList<string> _rowKeys;
    private IReadOnlyList<string>? _sourceKeys;
    private DriftRowHash? _hash;

    public CrossDatabaseDetector(NpgsqlDataSource source, NpgsqlDataSource readModel, DriftTable table, SqlIdentifier schema, DriftCheckOptions options, ReceivedBytes received)
    {
        _received = received;
        _source = source;
        _readModel = readModel;
        _table = table;
        _schema = schema;
        _options = options;
        _order = new KeyOrder(table.Keys, byteWise: true);
        _actualKeys = DriftTable.Refs(table.Keys, "t");
        _rowKeys = DriftTable.Refs(table.Keys, "r");
    }

    private int KeyCount => _table.Keys.Count;

    public async Task<IDriftComparison> OpenAsync(CancellationToken cancellationToken) =>
        new Comparison(this, await OpenPairAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>The first level over every range, then the descent through the differing blocks of each.</summary>
    private async Task CompareAsync(Pair pair, DriftFindings findings, CancellationToken cancellationToken)
    {
        var ranges = _options.Mode == DriftCheckMode.Full
            ? [KeyBlock.Everything]
            : await KeySampler.RangesAsync(pair.ReadModel, _table, _order, _options, cancellationToken).ConfigureAwait(false);
        var estimated = _options.Mode == DriftCheckMode.Full && _options.Scope.IsAll
            ? await DriftSession.EstimatedRowsAsync(pair.ReadModel, _table.Table.QualifiedName, cancellationToken).ConfigureAwait(false)
            : _options.SampleRangeRows;
        var roots = BlockPlanner.RootBlocks(estimated, _options.CrossDatabase.BlockSize);
        foreach (var range in ranges)
        {
            var level = await HashLevelAsync(pair, range, parents: null, 1, roots, cancellationToken).ConfigureAwait(false);
            findings.AddChecked(level.Sum(b => b.ActualCount));
            await DescendAsync(pair, range, level, roots, findings, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<(DriftPass Pass, IReadOnlyList<DriftDifference> Differences)> RecheckAsync(IReadOnlyList<RowKey> keys, CancellationToken cancellationToken)
    {
        var pair = await OpenPairAsync(cancellationToken).ConfigureAwait(false);
        await using var pairScope = pair.ConfigureAwait(false);
        var differences = new List<DriftDifference>();
        foreach (var batch in keys.Chunk(KeyBatch))
        {
            var (e, a) = await BothSides.RunAsync(
                ct => RowsByKeysAsync(pair.Expected, batch, ct),
                ct => RowsByKeysAsync(pair.Actual, batch, ct),
                cancellationToken).ConfigureAwait(false);
            var found = new List<DriftDifference>();
            foreach (var key in batch)
            {
                var inExpected = e.TryGetValue(key, out var expectedRow);
                var inActual = a.TryGetValue(key, out var actualRow);
                if (inExpected != inActual || (inExpected && expectedRow!.Hash != actualRow!.Hash))
                {
                    var kind = !inActual ? DriftKind.Missing : !inExpected ? DriftKind.Extra : DriftKind.Changed;
                    found.Add(new DriftDifference(key, kind, expectedRow?.Json, actualRow?.Json));
                }
            }

            differences.AddRange(await WithoutEqualValuesAsync(pair.Actual, found, e, cancellationToken).ConfigureAwait(false));
        }

        await pair.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (pair.Pass, differences);
    }

    private async Task<Pair> OpenPairAsync(CancellationToken cancellationToken)
    {
        // Read model first: its snapshot then cannot hold effects of source changes the source snapshot does not show.
        var readModel = await _readModel.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlConnection? source = null;
        try
        {
            var readModelTransaction = await DriftSession.BeginCheckAsync(readModel, _options, cancellationToken).ConfigureAwait(false);
            var projectionPosition = _options.SourcePosition is null ? 0
                : await DriftSession.ProjectionPositionAsync(readModel, _options, _schema, _table.ProjectionName, cancellationToken).ConfigureAwait(false);
            source = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var sourceTransaction = await DriftSession.BeginCheckAsync(source, _options, cancellationToken).ConfigureAwait(false);
            var sourcePosition = _options.SourcePosition is { } reader ? await reader(source, cancellationToken).ConfigureAwait(false) : 0;
            _hash ??= await RowHashProbe.ResolveAsync(source, readModel, _options.CrossDatabase.RowHash, _table.ProjectionName, cancellationToken).ConfigureAwait(false);
            _sourceKeys ??= await SourceShape.KeyExpressionsAsync(source, _table, "q", cancellationToken).ConfigureAwait(false);
            var pass = new DriftPass(sourcePosition, projectionPosition, _options.SourcePosition is not null);
            return new Pair(new Side(source, sourceTransaction, Expected: true), new Side(readModel, readModelTransaction, Expected: false), pass);
        }
        catch
        {
            if (source is not null)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }

            await readModel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Descends from the differing blocks of <paramref name="level"/> until every difference is classified.</summary>
    private async Task DescendAsync(Pair pair, KeyBlock range, List<BlockState> level, long modulus, DriftFindings findings, CancellationToken cancellationToken)
    {
        var pending = level.Where(b => b.Differs).ToList();
        var levelBlocks = level.Count;
        var levelIsWholeRange = true;
        while (pending.Count > 0)
        {
            foreach (var side in new[] { pair.Expected, pair.Actual })
            {
                var empty = pending.Where(b => (side.Expected ? b.ActualCount : b.ExpectedCount) == 0).Select(b => b.Id).ToList();
                if (empty.Count > 0)
                {
                    await StreamOneSidedAsync(side, range, empty, modulus, findings, cancellationToken).ConfigureAwait(false);
                }
            }

            var twoSided = pending.Where(b => b.ExpectedCount > 0 && b.ActualCount > 0).ToList();
            var leaf = (BlockState b) => Math.Max(b.ExpectedCount, b.ActualCount) <= _options.CrossDatabase.LeafThreshold || modulus > BlockPlanner.MaxModulus / _options.CrossDatabase.FanOut;
            foreach (var leaves in Batches(twoSided.Where(leaf), LeafRowsPerBatch))
            {
                await CompareLeavesAsync(pair, range, leaves, modulus, findings, cancellationToken).ConfigureAwait(false);
            }

            var split = twoSided.Where(b => !leaf(b)).ToList();
            pending = [];
            if (split.Count > 0)
            {
                var largest = split.Max(b => Math.Max(b.ExpectedCount, b.ActualCount));
                var fanOut = BlockPlanner.ChildFanOut(largest, split.Count, modulus, _options.CrossDatabase.FanOut, _options.CrossDatabase.LeafThreshold);
                // When the level covers the whole range and every block of it splits (drift spread across the table), a filter by
                // parent would select every row anyway.
                var parents = levelIsWholeRange && split.Count == levelBlocks ? null : split.Select(b => b.Id).ToList();
                var children = await HashLevelAsync(pair, range, parents, modulus, modulus * fanOut, cancellationToken).ConfigureAwait(false);
                findings.AddRanges(children.Count);
                pending = children.Where(c => c.Differs).ToList();
                levelBlocks = children.Count;
                levelIsWholeRange = parents is null;
                modulus *= fanOut;
            }
        }
    }

    /// <summary>
    /// One level on both sides at once: the (count, row-hash sum) of every block <c>abs(kh % childModulus)</c> whose parent
    /// <c>abs(kh % parentModulus)</c> is in <paramref name="parents"/> (every block when null).
    /// </summary>
    private async Task<List<BlockState>> HashLevelAsync(Pair pair, KeyBlock range, IReadOnlyList<long>? parents, long parentModulus, long childModulus, CancellationToken cancellationToken)
    {
        var (e, a) = await BothSides.RunAsync(
            ct => HashSideAsync(pair.Expected, range, parents, parentModulus, childModulus, ct),
            ct => HashSideAsync(pair.Actual, range, parents, parentModulus, childModulus, ct),
            cancellationToken).ConfigureAwait(false);
        return e.Keys.Union(a.Keys)
            .Select(id =>
            {
                var (en, es) = e.GetValueOrDefault(id, (0L, ""));
                var (an, @as) = a.GetValueOrDefault(id, (0L, ""));
                return new BlockState(id, en, es, an, @as);
            })
            .ToList();
    }

    private async Task<Dictionary<long, (long Count, string Sum)>> HashSideAsync(Side side, KeyBlock range, IReadOnlyList<long>? parents, long parentModulus, long childModulus, CancellationToken cancellationToken)
    {
        var (parameters, where) = Bound(range);
        var filter = parents is null ? null : BlockFilter.In(parameters, parents, parentModulus);
        using var command = new NpgsqlCommand(Rows.Level(Relation(side, where), childModulus, filter, ordered: false), side.Connection, side.Transaction);
        parameters.CopyTo(command.Parameters);
        var counted = await CountedRows.OpenAsync(command, _received, cancellationToken).ConfigureAwait(false);
        await using var rowsScope = counted.ConfigureAwait(false);
        var blocks = new Dictionary<long, (long, string)>();
        while (await counted.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (block, count, hash) = HashedRows.ReadBlock(counted.Row);
            blocks[block] = (count, hash);
        }

        return blocks;
    }

    /// <summary>Compares leaf blocks by (key, row hash) as both sides stream (<see cref="LeafMerge"/>), then fetches full rows only for the differing keys.</summary>
    private async Task CompareLeavesAsync(Pair pair, KeyBlock range, IReadOnlyList<BlockState> leaves, long modulus, DriftFindings findings, CancellationToken cancellationToken)
    {
        var ids = leaves.Select(l => l.Id).ToList();
        using var expected = LeavesCommand(pair.Expected, range, ids, modulus);
        using var actual = LeavesCommand(pair.Actual, range, ids, modulus);
        var candidates = await LeafMerge.CompareAsync(expected, actual, KeyCount, _received, cancellationToken).ConfigureAwait(false);
        await ResolveRowsAsync(pair, candidates, findings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One side's rows of <paramref name="blocks"/> as leaf rows (see <see cref="HashedRows.Leaves"/>).</summary>
    private NpgsqlCommand LeavesCommand(Side side, KeyBlock range, IReadOnlyList<long> blocks, long modulus)
    {
        var (parameters, where) = Bound(range);
        var command = new NpgsqlCommand(Rows.Leaves(Relation(side, where), BlockFilter.In(parameters, blocks, modulus)), side.Connection, side.Transaction);
        parameters.CopyTo(command.Parameters);
        return command;
    }

    /// <summary>Fetches the JSON rows of differing keys from the side(s) that have them and hands the differences to the findings.</summary>
    private async Task ResolveRowsAsync(Pair pair, List<(RowKey Key, DriftKind Kind)> found, DriftFindings findings, CancellationToken cancellationToken)
    {
        foreach (var batch in found.Chunk(KeyBatch))
        {
            var (e, a) = await BothSides.RunAsync(
                ct => RowsByKeysAsync(pair.Expected, batch.Where(f => f.Kind != DriftKind.Extra).Select(f => f.Key).ToList(), ct),
                ct => RowsByKeysAsync(pair.Actual, batch.Where(f => f.Kind != DriftKind.Missing).Select(f => f.Key).ToList(), ct),
                cancellationToken).ConfigureAwait(false);
            // A candidate seen as changed is fetched from both sides; the side that has no row for its key decides its kind.
            var differences = await WithoutEqualValuesAsync(
                pair.Actual,
                batch.Select(f => (f.Key, f.Kind, Expected: e.GetValueOrDefault(f.Key)?.Json, Actual: a.GetValueOrDefault(f.Key)?.Json))
                    .Where(f => f.Expected is not null || f.Actual is not null)
                    .Select(f => new DriftDifference(f.Key, f.Expected is null ? DriftKind.Extra : f.Actual is null ? DriftKind.Missing : f.Kind, f.Expected, f.Actual))
                    .ToList(),
                e,
                cancellationToken).ConfigureAwait(false);
            findings.AddChecked(differences.Count(d => d.Kind == DriftKind.Missing));
            await findings.AddAsync(differences, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Drops the changed rows whose values are equal after all: row hashes compare some values by their text (numbers inside
    /// <c>jsonb</c>, elements of arrays hashed as text), where equality compares them by value. The source's values are sent as text
    /// and compared on the read-model server with <c>IS DISTINCT FROM</c> — the comparison a repair makes — so a check never reports
    /// a row that repair would leave as it is.
    /// </summary>
    private async Task<List<DriftDifference>> WithoutEqualValuesAsync(Side actual, List<DriftDifference> differences, Dictionary<RowKey, FetchedRow> expected, CancellationToken cancellationToken)
    {
        var changed = differences.Where(d => d.Kind == DriftKind.Changed).ToList();
        if (changed.Count == 0 || _table.Values.Count == 0)
        {
            return differences;
        }

        var parameters = new SqlParameters();
        var arrays = _table.NewKeyArrays();
        foreach (var difference in changed)
        {
            arrays.Add([.. difference.Key]);
        }

        arrays.Bind(parameters);
        var texts = _table.Values.Select((_, i) => parameters.AddValue(changed.Select(d => expected[d.Key].Values![i]).ToArray()) + "::text[]").ToList();
        var names = Enumerable.Range(0, KeyCount).Select(i => "k" + i).Concat(_table.Values.Select((_, i) => "v" + i));
        var columns = _table.Keys.Select((c, i) => $"{arrays.Element(i, "u.k" + i)} AS {c.Quoted}")
            .Concat(_table.Values.Select((c, i) => $"CAST(u.v{i} AS {c.Column.FormattedType}) AS {c.Quoted}"));
        var row = (string alias) => $"ROW({string.Join(", ", _table.Values.Select(v => CanonicalRowEncoding.Comparable(v.Type, $"{alias}.{v.Quoted}")))})";
        var sql = $"""
            SELECT {string.Join(", ", DriftTable.Refs(_table.Keys, "e"))}
            FROM (SELECT {string.Join(", ", columns)} FROM unnest({string.Join(", ", arrays.Arrays.Concat(texts))}) AS u({string.Join(", ", names)})) AS e
            JOIN {_table.Table.QualifiedName} t ON {string.Join(" AND ", _table.Keys.Select(k => $"t.{k.Quoted} = e.{k.Quoted}"))}
            WHERE {_table.Live("t")} AND {row("e")} IS NOT DISTINCT FROM {row("t")}
            """;
        var equal = new HashSet<RowKey>();
        using (var command = new NpgsqlCommand(sql, actual.Connection, actual.Transaction))
        {
            parameters.CopyTo(command.Parameters);
            var rows = await CountedRows.OpenAsync(command, _received, cancellationToken).ConfigureAwait(false);
            await using var rowsScope = rows.ConfigureAwait(false);
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                equal.Add(new RowKey(DriftReading.Key(rows.Row, 0, KeyCount)!));
            }
        }

        return equal.Count == 0 ? differences : differences.Where(d => d.Kind != DriftKind.Changed || !equal.Contains(d.Key)).ToList();
    }

    private async Task<Dictionary<RowKey, FetchedRow>> RowsByKeysAsync(Side side, IReadOnlyList<RowKey> keys, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<RowKey, FetchedRow>();
        if (keys.Count == 0)
        {
            return rows;
        }

        var parameters = new SqlParameters();
        var arrays = _table.NewKeyArrays();
        foreach (var key in keys)
        {
            arrays.Add([.. key]);
        }

        arrays.Bind(parameters);
        var predicateKeys = side.Expected ? _sourceKeys! : _actualKeys;
        var where = $"({string.Join(", ", predicateKeys)}) IN (SELECT * FROM ({arrays.Unnest("u")}) AS k)";
        var texts = side.Expected ? string.Concat(_table.Values.Select(v => $", r.{v.Quoted}::text")) : "";
        var sql = $"SELECT {string.Join(", ", _rowKeys)}, {_table.RowHash(_hash!.Value, "r")}, {_table.ValuesJson("r")}{texts} FROM ({Relation(side, where)}) AS r";
        using var command = new NpgsqlCommand(sql, side.Connection, side.Transaction);
        parameters.CopyTo(command.Parameters);
        var counted = await CountedRows.OpenAsync(command, _received, cancellationToken).ConfigureAwait(false);
        await using var rowsScope = counted.ConfigureAwait(false);
        var reader = counted.Row;
        var unique = new UniqueKeys(_table, side.Expected);
        while (await counted.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var key = DriftReading.Key(reader, 0, KeyCount);
            var json = reader.GetString(KeyCount + 1);
            var values = side.Expected
                ? _table.Values.Select((_, i) => reader.IsDBNull(KeyCount + 2 + i) ? null : reader.GetString(KeyCount + 2 + i)).ToArray()
                : null;
            rows[unique.Add(new RowKey(key!))] = new FetchedRow(reader.GetInt64(KeyCount), json, values);
        }

        return rows;
    }

    /// <summary>Blocks only one side has rows in: every row there is missing (source side) or extra (read-model side).</summary>
    private async Task StreamOneSidedAsync(Side side, KeyBlock range, IReadOnlyList<long> blocks, long modulus, DriftFindings findings, CancellationToken cancellationToken)
    {
        using var command = BlockRowsCommand(side, range, blocks, modulus, _table.ValuesJson("x"));
        var kind = side.Expected ? DriftKind.Missing : DriftKind.Extra;
        var differences = new List<DriftDifference>();
        var unique = new UniqueKeys(_table, side.Expected);
        var rows = await CountedRows.OpenAsync(command, _received, cancellationToken).ConfigureAwait(false);
        await using (rows.ConfigureAwait(false))
        {
            var reader = rows.Row;
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = DriftReading.Key(reader, 0, KeyCount);
                var json = reader.GetString(KeyCount);
                differences.Add(new DriftDifference(unique.Add(new RowKey(key!)), kind, side.Expected ? json : null, side.Expected ? null : json));
                if (differences.Count >= StreamBatch)
                {
                    await FlushOneSidedAsync(differences, kind, findings, cancellationToken).ConfigureAwait(false);
                    differences = [];
                }
            }
        }

        await FlushOneSidedAsync(differences, kind, findings, cancellationToken).ConfigureAwait(false);
    }

    private static async Task FlushOneSidedAsync(List<DriftDifference> differences, DriftKind kind, DriftFindings findings, CancellationToken cancellationToken)
    {
        if (kind == DriftKind.Missing)
        {
            findings.AddChecked(differences.Count);
        }

        await findings.AddAsync(differences, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The parameters and the key-range predicates of one statement over <paramref name="range"/> within the check's scope.</summary>
    private (SqlParameters Parameters, KeyRangeSql Where) Bound(KeyBlock range) => KeyRangeSql.Bound(_table, _options.Scope, range);

    /// <summary>One side's key columns and <paramref name="columns"/> for the rows of <paramref name="blocks"/> (alias <c>x</c>).</summary>
    private NpgsqlCommand BlockRowsCommand(Side side, KeyBlock range, IReadOnlyList<long> blocks, long modulus, string columns)
    {
        var (parameters, where) = Bound(range);
        var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", DriftTable.Refs(_table.Keys, "x"))}, {columns} FROM {Rows.Filtered(Relation(side, where), BlockFilter.In(parameters, blocks, modulus))}",
            side.Connection,
            side.Transaction);
        parameters.CopyTo(command.Parameters);
        return command;
    }

    /// <summary>Rows read with their key hash and row value, in the row hash both servers agreed on.</summary>
    private HashedRows Rows => new(_table, _hash!.Value);

    /// <summary>Groups blocks into batches of at most about <paramref name="rows"/> rows.</summary>
    private static IEnumerable<List<BlockState>> Batches(IEnumerable<BlockState> blocks, long rows)
    {
        var batch = new List<BlockState>();
        long size = 0;
        foreach (var block in blocks)
        {
            batch.Add(block);
            size += Math.Max(block.ExpectedCount, block.ActualCount);
            if (size >= rows)
            {
                yield return batch;
                batch = [];
                size = 0;
            }
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    private string Relation(Side side, KeyRangeSql range) => Relation(side, range.Where(_order, side.Expected ? _sourceKeys! : _actualKeys));

    /// <summary>The rows of one side as (key columns, value columns) with read-model names and types, filtered by <paramref name="where"/>.</summary>
    private string Relation(Side side, string where) => side.Expected
        ? $"SELECT {_table.ExpectedColumns("q")} FROM {_table.RecomputeSql} AS q WHERE {where}"
        : $"SELECT {_table.ActualColumns("t")} FROM {_table.Table.QualifiedName} t WHERE {_table.Live("t")} AND {where}";

    /// <summary>A row fetched by key: its hash, its values as JSON, and (source side) its values as text.</summary>
    private sealed record FetchedRow(long Hash, string Json, string?[]? Values);

    private sealed record Side(NpgsqlConnection Connection, NpgsqlTransaction Transaction, bool Expected);

    /// <summary>A block with its hash on both sides.</summary>
    private sealed record BlockState(long Id, long ExpectedCount, string ExpectedSum, long ActualCount, string ActualSum)
    {
        public bool Differs => ExpectedCount != ActualCount || !string.Equals(ExpectedSum, ActualSum, StringComparison.Ordinal);
    }

    /// <summary>The two snapshots of one pass.</summary>
    private sealed class Pair(Side expected, Side actual, DriftPass pass) : IAsyncDisposable
    {
        public Side Expected { get; } = expected;

        public Side Actual { get; } = actual;

        public DriftPass Pass { get; } = pass;

        public NpgsqlConnection ReadModel => Actual.Connection;

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await Expected.Transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            await Actual.Transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await Expected.Transaction.DisposeAsync().ConfigureAwait(false);
            await Actual.Transaction.DisposeAsync().ConfigureAwait(false);
            await Expected.Connection.DisposeAsync().ConfigureAwait(false);
            await Actual.Connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>An open detection pass over the two snapshots.</summary>
    private sealed class Comparison(CrossDatabaseDetector detector, Pair pair) : IDriftComparison
    {
        public DriftPass Pass => pair.Pass;

        public DriftRowHash? RowHash => detector._hash;

        public async Task CompareAsync(DriftFindings findings, CancellationToken cancellationToken)
        {
            await detector.CompareAsync(pair, findings, cancellationToken).ConfigureAwait(false);
            await pair.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => pair.DisposeAsync();
    }
}
