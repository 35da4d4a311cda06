using Npgsql;
using ReadModelKit.Changes;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Drift detection when the source and the read model live on different servers, without pulling either table over the wire.
/// Each side holds one REPEATABLE READ snapshot for the whole check (the read model's is taken first, so it can never be ahead of the
/// source's). Both sides hash key-range blocks (row count plus the sum of 64-bit row hashes, <see cref="CanonicalRowEncoding"/>);
/// top-level boundaries come from a table sample of the read model, never a key scan, and the first and last blocks are open-ended.
/// A block that differs is split into <see cref="DriftCheckOptions.FanOut"/> parts at quantiles of its fuller side and hashed again;
/// a block with at most <see cref="DriftCheckOptions.LeafThreshold"/> rows per side is compared by (key, row hash); a block empty on one side
/// is streamed as all missing or all extra. Full rows (as JSON) are fetched only for differing keys.
/// </summary>
internal sealed class CrossDatabaseDetector : IDriftDetector
{
    private const int BatchCommands = 64;
    private const int StreamBatch = 1000;
    private readonly NpgsqlDataSource _source;
    private readonly NpgsqlDataSource _readModel;
    private readonly DriftTable _table;
    private readonly SqlIdentifier _schema;
    private readonly DriftCheckOptions _options;
    private readonly KeyOrder _order;
    private readonly IReadOnlyList<string> _actualKeys;
    private readonly IReadOnlyList<string> _rowKeys;
    private IReadOnlyList<string>? _sourceKeys;
    private DriftRowHash? _hash;

    public CrossDatabaseDetector(NpgsqlDataSource source, NpgsqlDataSource readModel, DriftTable table, SqlIdentifier schema, DriftCheckOptions options)
    {
        _source = source;
        _readModel = readModel;
        _table = table;
        _schema = schema;
        _options = options;
        _order = new KeyOrder(table.Keys, byteWise: true);
        _actualKeys = DriftTable.Refs(table.Keys, "t");
        _rowKeys = DriftTable.Refs(table.Keys, "r");
    }

    /// <summary>The row hash the servers agreed on (after the first pass).</summary>
    public DriftRowHash? RowHash => _hash;

    private int KeyCount => _table.Keys.Count;

    public async Task<DriftPass> DetectAsync(DriftSink sink, CancellationToken cancellationToken)
    {
        var pair = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pairScope = pair.ConfigureAwait(false);
        sink.Confirming = pair.Pass.CaughtUp;
        IReadOnlyList<(KeyBlock Block, IReadOnlyList<IReadOnlyList<object?>> Boundaries)> groups = _options.Mode == DriftCheckMode.Full
            ? [(KeyBlock.Everything, await RootBoundariesAsync(pair.ReadModel, cancellationToken).ConfigureAwait(false))]
            : (await SameDatabaseDetector.SampledRangesAsync(pair.ReadModel, _table, _order, _options, cancellationToken).ConfigureAwait(false))
                .Select(r => (r, (IReadOnlyList<IReadOnlyList<object?>>)[])).ToList();
        var roots = await HashGroupsAsync(pair, groups, sink, cancellationToken).ConfigureAwait(false);
        sink.AddChecked(roots.Sum(r => r.ActualCount));
        sink.AddRanges(roots.Count);
        foreach (var root in roots.Where(r => r.Differs))
        {
            await DescendAsync(pair, root, sink, cancellationToken).ConfigureAwait(false);
        }

        await pair.CommitAsync(cancellationToken).ConfigureAwait(false);
        return pair.Pass;
    }

    public async Task<(DriftPass Pass, IReadOnlyList<DriftDifference> Differences)> RecheckAsync(IReadOnlyList<RowKey> keys, CancellationToken cancellationToken)
    {
        var pair = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pairScope = pair.ConfigureAwait(false);
        var differences = new List<DriftDifference>();
        var ignored = new DriftSink(_options, null);
        foreach (var batch in keys.Chunk(StreamBatch))
        {
            var expected = RowsByKeysAsync(pair.Expected, batch, ignored, cancellationToken);
            var actual = RowsByKeysAsync(pair.Actual, batch, ignored, cancellationToken);
            var (e, a) = (await expected.ConfigureAwait(false), await actual.ConfigureAwait(false));
            foreach (var key in batch)
            {
                var inExpected = e.TryGetValue(key, out var expectedRow);
                var inActual = a.TryGetValue(key, out var actualRow);
                if (inExpected != inActual || (inExpected && expectedRow.Hash != actualRow.Hash))
                {
                    var kind = !inActual ? DriftKind.Missing : !inExpected ? DriftKind.Extra : DriftKind.Changed;
                    differences.Add(new DriftDifference(key, kind, inExpected ? expectedRow.Json : null, inActual ? actualRow.Json : null));
                }
            }
        }

        await pair.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (pair.Pass, differences);
    }

    private async Task<Pair> OpenAsync(CancellationToken cancellationToken)
    {
        // Read model first: its snapshot then cannot hold effects of source changes the source snapshot does not show.
        var readModel = await _readModel.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        NpgsqlConnection? source = null;
        try
        {
            var readModelTransaction = await DriftSession.BeginSnapshotAsync(readModel, fixedTextSettings: true, cancellationToken).ConfigureAwait(false);
            var projectionPosition = _options.SourcePosition is null ? 0
                : await DriftSession.ProjectionPositionAsync(readModel, _options, _schema, _table.ProjectionName, cancellationToken).ConfigureAwait(false);
            source = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var sourceTransaction = await DriftSession.BeginSnapshotAsync(source, fixedTextSettings: true, cancellationToken).ConfigureAwait(false);
            var sourcePosition = _options.SourcePosition is { } reader ? await reader(source, cancellationToken).ConfigureAwait(false) : 0;
            _hash ??= await RowHashProbe.ResolveAsync(source, readModel, _options.RowHash, _table.ProjectionName, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Top-level boundaries at quantiles of a table sample of the read model (no key scan), in byte order.</summary>
    private async Task<IReadOnlyList<IReadOnlyList<object?>>> RootBoundariesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var estimated = await DriftSession.EstimatedRowsAsync(connection, _table.Table.QualifiedName, cancellationToken).ConfigureAwait(false);
        var blocks = BlockPlanner.RootBlocks(estimated, _options.BlockSize);
        if (blocks == 1 || !_options.Scope.IsAll)
        {
            // One open-ended block; a differing one is split at quantiles of the block itself.
            return [];
        }

        var parameters = new SqlParameters();
        var percent = parameters.AddValue(Math.Min(100, 100.0 * blocks * 20 / estimated));
        var sql = $"""
            SELECT {string.Join(", ", _actualKeys)} FROM {_table.Table.QualifiedName} t TABLESAMPLE SYSTEM ({percent})
            ORDER BY {_order.OrderBy(_actualKeys)}
            """;
        var sample = new List<object?[]>();
        using (var command = new NpgsqlCommand(sql, connection))
        {
            parameters.CopyTo(command.Parameters);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sample.Add(SameDatabaseDetector.ReadKey(reader, 0, KeyCount));
            }
        }

        return BlockPlanner.Quantiles(sample.Count, blocks).Select(i => (IReadOnlyList<object?>)sample[i]).ToList();
    }

    private async Task DescendAsync(Pair pair, BlockState root, DriftSink sink, CancellationToken cancellationToken)
    {
        var pending = new List<BlockState> { root };
        while (pending.Count > 0)
        {
            foreach (var block in pending.Where(b => b.ExpectedCount == 0 || b.ActualCount == 0))
            {
                await StreamOneSidedAsync(block.ExpectedCount == 0 ? pair.Actual : pair.Expected, block.Block, sink, cancellationToken).ConfigureAwait(false);
            }

            var twoSided = pending.Where(b => b.ExpectedCount > 0 && b.ActualCount > 0).ToList();
            foreach (var leaves in twoSided.Where(b => Math.Max(b.ExpectedCount, b.ActualCount) <= _options.LeafThreshold).Chunk(BatchCommands))
            {
                await CompareLeavesAsync(pair, leaves, sink, cancellationToken).ConfigureAwait(false);
            }

            var next = new List<BlockState>();
            foreach (var splits in twoSided.Where(b => Math.Max(b.ExpectedCount, b.ActualCount) > _options.LeafThreshold).Chunk(BatchCommands))
            {
                var boundaries = await SplitBoundariesAsync(pair, splits, sink, cancellationToken).ConfigureAwait(false);
                var children = await HashGroupsAsync(pair, splits.Select((b, i) => (b.Block, boundaries[i])).ToList(), sink, cancellationToken).ConfigureAwait(false);
                sink.AddRanges(children.Count);
                next.AddRange(children.Where(c => c.Differs));
            }

            pending = next;
        }
    }

    /// <summary>Hashes the children of each group (its block cut at its boundaries) on both sides at once.</summary>
    private async Task<List<BlockState>> HashGroupsAsync(Pair pair, IReadOnlyList<(KeyBlock Block, IReadOnlyList<IReadOnlyList<object?>> Boundaries)> groups, DriftSink sink, CancellationToken cancellationToken)
    {
        var expected = HashSideAsync(pair.Expected, groups, sink, cancellationToken);
        var actual = HashSideAsync(pair.Actual, groups, sink, cancellationToken);
        var (e, a) = (await expected.ConfigureAwait(false), await actual.ConfigureAwait(false));
        var states = new List<BlockState>();
        for (var g = 0; g < groups.Count; g++)
        {
            var children = groups[g].Block.Split(groups[g].Boundaries);
            for (var c = 0; c < children.Count; c++)
            {
                states.Add(new BlockState(children[c], e[g][c].Count, e[g][c].Sum, a[g][c].Count, a[g][c].Sum));
            }
        }

        return states;
    }

    private async Task<List<(long Count, string Sum)[]>> HashSideAsync(Side side, IReadOnlyList<(KeyBlock Block, IReadOnlyList<IReadOnlyList<object?>> Boundaries)> groups, DriftSink sink, CancellationToken cancellationToken)
    {
        var results = new List<(long Count, string Sum)[]>();
        foreach (var chunk in groups.Chunk(BatchCommands))
        {
            using var batch = new NpgsqlBatch(side.Connection, side.Transaction);
            foreach (var (block, boundaries) in chunk)
            {
                var (parameters, arrays, range) = Bound(block, boundaries, out var indexes);
                var bucket = BucketTree.Build(indexes.Count).ToSql(i => _order.Compare(_rowKeys, "<=", arrays.Ref(indexes[i])));
                var sql = $"""
                    SELECT x.b, count(*), sum(x.h)::text
                    FROM (SELECT {bucket} AS b, {_table.RowHash(_hash!.Value, "r")} AS h FROM ({Relation(side, range)}) AS r) AS x
                    GROUP BY x.b
                    """;
                var command = new NpgsqlBatchCommand(sql);
                parameters.CopyTo(command.Parameters);
                batch.BatchCommands.Add(command);
            }

            using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            long bytes = 0;
            foreach (var (_, boundaries) in chunk)
            {
                var buckets = Enumerable.Repeat((0L, "0"), boundaries.Count + 1).ToArray();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var sum = reader.GetString(2);
                    buckets[reader.GetInt32(0)] = (reader.GetInt64(1), sum);
                    bytes += WireSize.Row + WireSize.Of(0) + WireSize.Of(0L) + WireSize.Of(sum);
                }

                results.Add(buckets);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }

            sink.AddBytes(bytes);
        }

        return results;
    }

    /// <summary>For each block, boundaries at every (rows / fan-out)-th key of its fuller side.</summary>
    private async Task<IReadOnlyList<IReadOnlyList<object?>>[]> SplitBoundariesAsync(Pair pair, IReadOnlyList<BlockState> blocks, DriftSink sink, CancellationToken cancellationToken)
    {
        var result = new IReadOnlyList<IReadOnlyList<object?>>[blocks.Count];
        var byExpected = Enumerable.Range(0, blocks.Count).Where(i => blocks[i].ExpectedCount >= blocks[i].ActualCount).ToList();
        var byActual = Enumerable.Range(0, blocks.Count).Where(i => blocks[i].ExpectedCount < blocks[i].ActualCount).ToList();
        async Task SplitAsync(Side side, List<int> which)
        {
            if (which.Count == 0)
            {
                return;
            }

            using var batch = new NpgsqlBatch(side.Connection, side.Transaction);
            foreach (var i in which)
            {
                var (parameters, _, range) = Bound(blocks[i].Block);
                var rows = Math.Max(blocks[i].ExpectedCount, blocks[i].ActualCount);
                var step = parameters.AddValue(BlockPlanner.SplitStep(rows, _options.FanOut));
                var sql = $"""
                    SELECT {string.Join(", ", _table.Keys.Select(k => "s." + k.Quoted))}
                    FROM (SELECT {string.Join(", ", _rowKeys)}, row_number() OVER (ORDER BY {_order.OrderBy(_rowKeys)}) AS rmk_rn
                          FROM ({Relation(side, range)}) AS r) AS s
                    WHERE s.rmk_rn % {step} = 0
                    ORDER BY s.rmk_rn
                    """;
                var command = new NpgsqlBatchCommand(sql);
                parameters.CopyTo(command.Parameters);
                batch.BatchCommands.Add(command);
            }

            using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            long bytes = 0;
            foreach (var i in which)
            {
                var boundaries = new List<IReadOnlyList<object?>>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var key = SameDatabaseDetector.ReadKey(reader, 0, KeyCount);
                    bytes += WireSize.Row + key.Sum(WireSize.Of);
                    boundaries.Add(key);
                }

                result[i] = boundaries;
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }

            sink.AddBytes(bytes);
        }

        await Task.WhenAll(SplitAsync(pair.Expected, byExpected), SplitAsync(pair.Actual, byActual)).ConfigureAwait(false);
        return result;
    }

    /// <summary>Compares leaf blocks by (key, row hash), then fetches full rows only for the differing keys.</summary>
    private async Task CompareLeavesAsync(Pair pair, IReadOnlyList<BlockState> leaves, DriftSink sink, CancellationToken cancellationToken)
    {
        var expected = LeafRowsAsync(pair.Expected, leaves, sink, cancellationToken);
        var actual = LeafRowsAsync(pair.Actual, leaves, sink, cancellationToken);
        var (e, a) = (await expected.ConfigureAwait(false), await actual.ConfigureAwait(false));
        var found = new List<(RowKey Key, DriftKind Kind)>();
        for (var i = 0; i < leaves.Count; i++)
        {
            found.AddRange(LeafComparer.Compare(e[i], a[i]));
        }

        await ResolveRowsAsync(pair, found, sink, cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<(RowKey Key, long Hash)>[]> LeafRowsAsync(Side side, IReadOnlyList<BlockState> leaves, DriftSink sink, CancellationToken cancellationToken)
    {
        using var batch = new NpgsqlBatch(side.Connection, side.Transaction);
        foreach (var leaf in leaves)
        {
            var (parameters, _, range) = Bound(leaf.Block);
            var command = new NpgsqlBatchCommand($"SELECT {string.Join(", ", _rowKeys)}, {_table.RowHash(_hash!.Value, "r")} FROM ({Relation(side, range)}) AS r");
            parameters.CopyTo(command.Parameters);
            batch.BatchCommands.Add(command);
        }

        var result = new List<(RowKey, long)>[leaves.Count];
        using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        for (var i = 0; i < leaves.Count; i++)
        {
            var rows = new List<(RowKey, long)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = SameDatabaseDetector.ReadKey(reader, 0, KeyCount);
                bytes += WireSize.Row + key.Sum(WireSize.Of) + WireSize.Of(0L);
                rows.Add((new RowKey(key!), reader.GetInt64(KeyCount)));
            }

            result[i] = rows;
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        sink.AddBytes(bytes);
        return result;
    }

    /// <summary>Fetches the JSON rows of differing keys from the side(s) that have them and hands the differences to the sink.</summary>
    private async Task ResolveRowsAsync(Pair pair, List<(RowKey Key, DriftKind Kind)> found, DriftSink sink, CancellationToken cancellationToken)
    {
        foreach (var batch in found.Chunk(StreamBatch))
        {
            var expected = RowsByKeysAsync(pair.Expected, batch.Where(f => f.Kind != DriftKind.Extra).Select(f => f.Key).ToList(), sink, cancellationToken);
            var actual = RowsByKeysAsync(pair.Actual, batch.Where(f => f.Kind != DriftKind.Missing).Select(f => f.Key).ToList(), sink, cancellationToken);
            var (e, a) = (await expected.ConfigureAwait(false), await actual.ConfigureAwait(false));
            var differences = batch.Select(f => new DriftDifference(
                f.Key,
                f.Kind,
                e.TryGetValue(f.Key, out var er) ? er.Json : null,
                a.TryGetValue(f.Key, out var ar) ? ar.Json : null)).ToList();
            sink.AddChecked(differences.Count(d => d.Kind == DriftKind.Missing));
            await sink.AddAsync(differences, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Dictionary<RowKey, (long Hash, string Json)>> RowsByKeysAsync(Side side, IReadOnlyList<RowKey> keys, DriftSink sink, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<RowKey, (long, string)>();
        if (keys.Count == 0)
        {
            return rows;
        }

        var parameters = new SqlParameters();
        var arrays = new KeyArrays(_table.Keys);
        foreach (var key in keys)
        {
            arrays.Add([.. key]);
        }

        arrays.Bind(parameters);
        var predicateKeys = side.Expected ? _sourceKeys! : _actualKeys;
        var where = $"({string.Join(", ", predicateKeys)}) IN (SELECT * FROM ({arrays.Unnest("u")}) AS k)";
        var sql = $"SELECT {string.Join(", ", _rowKeys)}, {_table.RowHash(_hash!.Value, "r")}, {_table.ValuesJson("r")} FROM ({Relation(side, where)}) AS r";
        using var command = new NpgsqlCommand(sql, side.Connection, side.Transaction);
        parameters.CopyTo(command.Parameters);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var key = SameDatabaseDetector.ReadKey(reader, 0, KeyCount);
            var json = reader.GetString(KeyCount + 1);
            bytes += WireSize.Row + key.Sum(WireSize.Of) + WireSize.Of(0L) + WireSize.Of(json);
            rows[new RowKey(key!)] = (reader.GetInt64(KeyCount), json);
        }

        sink.AddBytes(bytes);
        return rows;
    }

    /// <summary>A block only one side has rows in: every row there is missing (source side) or extra (read-model side).</summary>
    private async Task StreamOneSidedAsync(Side side, KeyBlock block, DriftSink sink, CancellationToken cancellationToken)
    {
        var (parameters, _, range) = Bound(block);
        using var command = new NpgsqlCommand($"SELECT {string.Join(", ", _rowKeys)}, {_table.ValuesJson("r")} FROM ({Relation(side, range)}) AS r", side.Connection, side.Transaction);
        parameters.CopyTo(command.Parameters);
        var kind = side.Expected ? DriftKind.Missing : DriftKind.Extra;
        var differences = new List<DriftDifference>();
        long bytes = 0;
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = SameDatabaseDetector.ReadKey(reader, 0, KeyCount);
                var json = reader.GetString(KeyCount);
                bytes += WireSize.Row + key.Sum(WireSize.Of) + WireSize.Of(json);
                differences.Add(new DriftDifference(new RowKey(key!), kind, side.Expected ? json : null, side.Expected ? null : json));
                if (differences.Count >= StreamBatch)
                {
                    await FlushOneSidedAsync(differences, kind, sink, cancellationToken).ConfigureAwait(false);
                    differences = [];
                }
            }
        }

        sink.AddBytes(bytes);
        await FlushOneSidedAsync(differences, kind, sink, cancellationToken).ConfigureAwait(false);
    }

    private static async Task FlushOneSidedAsync(List<DriftDifference> differences, DriftKind kind, DriftSink sink, CancellationToken cancellationToken)
    {
        if (kind == DriftKind.Missing)
        {
            sink.AddChecked(differences.Count);
        }

        await sink.AddAsync(differences, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The parameters, key arrays and predicates of one statement over <paramref name="block"/> within the check's scope.</summary>
    private (SqlParameters Parameters, KeyArrays Arrays, KeyRangeSql Range) Bound(KeyBlock block) => Bound(block, [], out _);

    /// <summary>The same, with <paramref name="boundaries"/> added to the key arrays (their indexes in <paramref name="indexes"/>).</summary>
    private (SqlParameters Parameters, KeyArrays Arrays, KeyRangeSql Range) Bound(KeyBlock block, IReadOnlyList<IReadOnlyList<object?>> boundaries, out List<int> indexes)
    {
        var parameters = new SqlParameters();
        var arrays = new KeyArrays(_table.Keys);
        var range = new KeyRangeSql(arrays, KeyCount, _options.Scope, block);
        indexes = boundaries.Select(arrays.Add).ToList();
        arrays.Bind(parameters);
        return (parameters, arrays, range);
    }

    private string Relation(Side side, KeyRangeSql range) => Relation(side, range.Where(_order, side.Expected ? _sourceKeys! : _actualKeys));

    /// <summary>The rows of one side as (key columns, value columns) with read-model names and types, filtered by <paramref name="where"/>.</summary>
    private string Relation(Side side, string where) => side.Expected
        ? $"SELECT {_table.ExpectedColumns("q")} FROM ({_table.RecomputeSql}) AS q WHERE {where}"
        : $"SELECT {_table.ActualColumns("t")} FROM {_table.Table.QualifiedName} t WHERE {_table.Live("t")} AND {where}";

    private sealed record Side(NpgsqlConnection Connection, NpgsqlTransaction Transaction, bool Expected);

    /// <summary>A block with its hash on both sides.</summary>
    private sealed record BlockState(KeyBlock Block, long ExpectedCount, string ExpectedSum, long ActualCount, string ActualSum)
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
}
