using System.Diagnostics;
using Npgsql;
using ReadModelKit.Npgsql.Drift;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>
/// The gate's check of a replayed version whose mapping has no recompute query: its live rows against the serving version's, in one
/// statement (one snapshot). Both are fed by the same live batches, so once the replay caught up they hold the same keys, values and
/// versions; a difference means the events no longer give what the serving version holds.
/// </summary>
internal static class VersionComparison
{
    public static async Task<DriftReport> CompareAsync(NpgsqlConnection connection, ReadModelTable table, string serving, string built, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var keys = table.Keys.Select(k => ReadModelTable.Quote(k.Name)).ToList();
        var compared = table.Values.Select(v => ReadModelTable.Quote(v.Name)).Append(ReadModelTable.Quote(table.Version.Name)).ToList();
        var live = table.Tombstone is { } t ? $" WHERE {t} IS NULL" : "";
        var columns = string.Join(", ", keys.Concat(compared));
        using var command = new NpgsqlCommand($"""
            SELECT count(*),
                   count(*) FILTER (WHERE n.{keys[0]} IS NULL),
                   count(*) FILTER (WHERE o.{keys[0]} IS NULL),
                   count(*) FILTER (WHERE o.{keys[0]} IS NOT NULL AND n.{keys[0]} IS NOT NULL
                                      AND ({string.Join(", ", compared.Select(c => "o." + c))}) IS DISTINCT FROM ({string.Join(", ", compared.Select(c => "n." + c))}))
            FROM (SELECT {columns} FROM {serving}{live}) o
            FULL JOIN (SELECT {columns} FROM {built}{live}) n USING ({string.Join(", ", keys)})
            """, connection);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new DriftReport
        {
            ProjectionName = table.ProjectionName,
            Strategy = DriftStrategy.SameDatabase,
            Mode = DriftCheckMode.Full,
            Scope = DriftScope.All,
            StartedAt = startedAt,
            Duration = clock.Elapsed,
            CheckedRows = reader.GetInt64(0),
            Missing = reader.GetInt64(1),
            Extra = reader.GetInt64(2),
            Changed = reader.GetInt64(3),
            Samples = [],
        };
    }
}
