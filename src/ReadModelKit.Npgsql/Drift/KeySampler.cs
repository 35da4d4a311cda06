using Npgsql;

using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The key ranges a sample check compares, in either strategy: random start keys from a <c>TABLESAMPLE</c> of the read model, each range
/// running from just after the key before its start (from the beginning of the scope for the smallest key, so keys missing below it are
/// seen) to about <see cref="DriftCheckOptions.SampleRangeRows"/> keys on, clipped so ranges never overlap.
/// </summary>
internal static class KeySampler
{
    /// <summary>Random key ranges of about <see cref="DriftCheckOptions.SampleRangeRows"/> read-model rows each, clipped so they do not overlap.</summary>
    public static async Task<IReadOnlyList<KeyBlock>> RangesAsync(NpgsqlConnection connection, DriftTable table, KeyOrder order, DriftCheckOptions options, CancellationToken cancellationToken)
    {
        var estimated = await DriftSession.EstimatedRowsAsync(connection, table.Table.QualifiedName, cancellationToken).ConfigureAwait(false);
        var percent = estimated <= 0 ? 100 : Math.Min(100, 100.0 * options.SampleRanges * 4 / estimated);
        var ranges = await SampleAsync(connection, table, order, options, percent, cancellationToken).ConfigureAwait(false);
        if (ranges.Count == 0 && percent < 100)
        {
            // The sampled pages held no key in scope (a narrow scope, or a stale estimate): pick among every key in scope.
            ranges = await SampleAsync(connection, table, order, options, 100, cancellationToken).ConfigureAwait(false);
        }

        return ranges;
    }

    private static async Task<IReadOnlyList<KeyBlock>> SampleAsync(NpgsqlConnection connection, DriftTable table, KeyOrder order, DriftCheckOptions options, double percent, CancellationToken cancellationToken)
    {
        var k = table.Keys.Count;
        var parameters = new SqlParameters();
        var arrays = table.NewKeyArrays();
        var scope = new KeyRangeSql(arrays, k, options.Scope, null);
        arrays.Bind(parameters);
        var pct = parameters.AddValue(percent);
        var limit = parameters.AddValue(options.SampleRanges);
        var offset = parameters.AddValue(options.SampleRangeRows - 1);
        string Cols(string prefix) => string.Join(", ", Enumerable.Range(0, k).Select(i => prefix + i));
        IReadOnlyList<string> Named(string alias, string prefix) => Enumerable.Range(0, k).Select(i => $"{alias}.{prefix}{i}").ToList();
        var sampleKeys = string.Join(", ", table.Keys.Select((c, i) => $"t.{c.Quoted} AS s{i}"));
        var endKeys = string.Join(", ", table.Keys.Select((c, i) => $"t2.{c.Quoted} AS e{i}"));
        var previousKeys = string.Join(", ", table.Keys.Select((c, i) => $"t3.{c.Quoted} AS p{i}"));
        var sample = percent >= 100 ? "" : $"TABLESAMPLE SYSTEM ({pct})";
        var window = order.OrderBy(Named("r", "s"));

        // A range runs from the key before its sampled start (exclusive; none for the smallest key in scope, so keys missing below it
        // are seen too) to the SampleRangeRows-th key from the start (inclusive), clipped at the next range's lower bound.
        var sql = $"""
            WITH s AS (
                SELECT {sampleKeys} FROM {table.Table.QualifiedName} t {sample}
                WHERE {scope.Where(order, DriftTable.Refs(table.Keys, "t"))}
                ORDER BY random() LIMIT {limit}
            ), r AS (
                SELECT s.*, p.*, x.* FROM s
                LEFT JOIN LATERAL (
                    SELECT {previousKeys} FROM {table.Table.QualifiedName} t3
                    WHERE {scope.Where(order, DriftTable.Refs(table.Keys, "t3"))}
                      AND {order.Compare(DriftTable.Refs(table.Keys, "t3"), "<", Named("s", "s"))}
                    ORDER BY {order.OrderBy(DriftTable.Refs(table.Keys, "t3"), descending: true)}
                    LIMIT 1
                ) p ON true
                LEFT JOIN LATERAL (
                    SELECT {endKeys} FROM {table.Table.QualifiedName} t2
                    WHERE {scope.Where(order, DriftTable.Refs(table.Keys, "t2"))}
                      AND {order.Compare(DriftTable.Refs(table.Keys, "t2"), ">=", Named("s", "s"))}
                    ORDER BY {order.OrderBy(DriftTable.Refs(table.Keys, "t2"))}
                    OFFSET {offset} LIMIT 1
                ) x ON true
            )
            SELECT {Cols("r.p")}, {Cols("r.e")}, {string.Join(", ", Enumerable.Range(0, k).Select(i => $"lead(r.p{i}) OVER w"))}
            FROM r WINDOW w AS (ORDER BY {window}) ORDER BY {window}
            """;
        var rows = new List<(object?[]? Start, object?[]? End, object?[]? Next)>();
        using (var command = new NpgsqlCommand(sql, connection))
        {
            parameters.CopyTo(command.Parameters);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var start = reader.IsDBNull(0) ? null : DriftReading.Key(reader, 0, k);
                var end = reader.IsDBNull(k) ? null : DriftReading.Key(reader, k, k);
                var next = reader.IsDBNull(2 * k) ? null : DriftReading.Key(reader, 2 * k, k);
                rows.Add((start, end, next));
            }
        }

        if (rows.Count == 0)
        {
            return [];
        }

        // Clip each range at the next start so ranges never overlap: ask the server which is lower, in the check's key order.
        var clip = await ClipAsync(connection, table, order, rows, cancellationToken).ConfigureAwait(false);
        return rows.Select((r, i) => new KeyBlock(r.Start, clip[i] ? r.Next : r.End)).ToList();
    }

    private static async Task<bool[]> ClipAsync(NpgsqlConnection connection, DriftTable table, KeyOrder order, List<(object?[]? Start, object?[]? End, object?[]? Next)> rows, CancellationToken cancellationToken)
    {
        var clip = new bool[rows.Count];
        var pairs = new List<int>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Next is not null)
            {
                if (rows[i].End is null)
                {
                    clip[i] = true;
                }
                else
                {
                    pairs.Add(i);
                }
            }
        }

        if (pairs.Count == 0)
        {
            return clip;
        }

        var parameters = new SqlParameters();
        var ends = table.NewKeyArrays();
        var nexts = table.NewKeyArrays();
        foreach (var i in pairs)
        {
            ends.Add(rows[i].End!);
            nexts.Add(rows[i].Next!);
        }

        ends.Bind(parameters);
        nexts.Bind(parameters);
        var k = table.Keys.Count;
        var endRefs = Enumerable.Range(0, k).Select(c => ends.Element(c, $"u.e{c}")).ToList();
        var nextRefs = Enumerable.Range(0, k).Select(c => nexts.Element(c, $"u.n{c}")).ToList();
        var columns = string.Join(", ", Enumerable.Range(0, k).Select(c => "e" + c).Concat(Enumerable.Range(0, k).Select(c => "n" + c)));
        var sql = $"""
            SELECT {order.Compare(endRefs, ">", nextRefs)}
            FROM unnest({string.Join(", ", ends.Arrays.Concat(nexts.Arrays))}) WITH ORDINALITY AS u({columns}, ord)
            ORDER BY u.ord
            """;
        using var command = new NpgsqlCommand(sql, connection);
        parameters.CopyTo(command.Parameters);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var p = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            clip[pairs[p++]] = reader.GetBoolean(0);
        }

        return clip;
    }
}
