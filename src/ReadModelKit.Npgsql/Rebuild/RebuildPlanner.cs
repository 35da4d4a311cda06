using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Mapping;

namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Plans a rebuild: checks the method and the commute rule, probes the recompute query, creates the next version and starts feeding it.</summary>
internal sealed class RebuildPlanner(NpgsqlReadModelStore store, RebuildRunStore runs, ILogger logger, VersionSwitcher switcher)
{
    /// <inheritdoc cref="RebuildOrchestrator.StartAsync"/>
    public async Task<RebuildRun> StartAsync(string projectionName, string? newTableSql = null, CancellationToken cancellationToken = default)
    {
        var applier = store.GetApplier(projectionName);
        var table = applier.Table;
        CheckMethod(applier.Contract);
        CheckCommuteRule(table);
        var estimate = await ProbeRecomputeQueryAsync(table, cancellationToken).ConfigureAwait(false);
        await switcher.AdoptAsync(projectionName, cancellationToken).ConfigureAwait(false);
        var view = new StableView(table);
        var run = await switcher.SwitchAsync(projectionName, view, async (connection, transaction) =>
        {
            if (await runs.GetActiveAsync(connection, transaction, projectionName, forUpdate: false, cancellationToken).ConfigureAwait(false) is { } active)
            {
                throw new RebuildAlreadyRunningException(projectionName, active);
            }

            var versions = await runs.ReadVersionsAsync(connection, transaction, projectionName, forChange: true, cancellationToken).ConfigureAwait(false);
            var from = versions.Serving!.Value;
            var to = Math.Max(await runs.HighestVersionAsync(connection, transaction, projectionName, cancellationToken).ConfigureAwait(false), from) + 1;
            var ddl = newTableSql is null
                ? $"CREATE TABLE {view.Physical(to)} (LIKE {view.Physical(from)} INCLUDING ALL)"
                : string.Format(CultureInfo.InvariantCulture, newTableSql, view.Physical(to));
            using (var create = new NpgsqlCommand(ddl, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await ReadModelTableInspector.InspectAsync(connection, projectionName, table.Mapping with { Schema = table.Schema, Table = view.PhysicalName(to) }, cancellationToken).ConfigureAwait(false);
            var problems = await view.ShapeProblemsAsync(connection, to, allowMissing: false, cancellationToken).ConfigureAwait(false);
            if (problems.Count > 0)
            {
                throw new IncompatibleViewShapeException(projectionName, view.Display, problems);
            }

            var planned = await runs.InsertPlannedAsync(connection, transaction, projectionName, from, to, RebuildMethod.BackfillFromCanonicalTables, estimate, cancellationToken).ConfigureAwait(false)
                ?? throw new RebuildAlreadyRunningException(projectionName, (await runs.GetActiveAsync(null, null, projectionName, false, cancellationToken).ConfigureAwait(false))!);
            await runs.SetVersionsAsync(connection, transaction, projectionName, from, [.. versions.Fed, to], cancellationToken).ConfigureAwait(false);
            return planned;
        }, cancellationToken).ConfigureAwait(false);
        RebuildLog.Planned(logger, projectionName, run.Id, run.FromVersion, run.ToVersion, run.EstimatedRows);
        return run;
    }

    public static void CheckMethod(ProjectionContract contract)
    {
        if (contract.Rebuild != RebuildMethod.BackfillFromCanonicalTables)
        {
            throw new RebuildMethodNotSupportedException(contract.Name, contract.Rebuild);
        }
    }

    /// <summary>
    /// The commute rule: a backfilled row and a live event must give the same result in either order. That holds when every row carries
    /// the source's version (the guard keeps the newer) and deletes are versioned tombstones (a late chunk cannot resurrect them).
    /// </summary>
    public static void CheckCommuteRule(ReadModelTable table)
    {
        var mapping = table.Mapping;
        if (mapping.RecomputeSql is null)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, "the mapping has no RecomputeSql. Declare the query that returns, for every key, the row the read model should hold (key, value and version columns under the read-model names).");
        }

        if (!mapping.RecomputeReturnsVersion)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, $"its RecomputeSql does not return the source's version (RecomputeReturnsVersion is false), so a chunk read before a live event commits could overwrite that event. Return the source row's version as column '{mapping.VersionColumn}' and set RecomputeReturnsVersion = true.");
        }

        if (mapping.TombstoneColumn is null)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, "the mapping has no TombstoneColumn, so a delete leaves no versioned trace and a chunk read before the delete would bring the row back. Map a tombstone column (for example deleted_at timestamptz) and emit RowChange.Tombstone for deletes.");
        }
    }

    /// <summary>Runs the recompute query for zero rows (it must return every mapped column) and asks the planner how many rows it returns.</summary>
    private async Task<long?> ProbeRecomputeQueryAsync(ReadModelTable table, CancellationToken cancellationToken)
    {
        var columns = string.Join(", ", Apply.RecomputeStatement.ExpectedColumns(table).Select(c => "q." + c));
        var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        try
        {
            using var probe = new NpgsqlCommand($"SELECT {columns} FROM {Sql.RecomputeQuery.Embed(table.ProjectionName, table.Mapping.RecomputeSql!)} AS q LIMIT 0", connection);
            await probe.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new RecomputeQueryCannotBackfillException(table.ProjectionName, $"its RecomputeSql fails when selecting the mapped columns ({string.Join(", ", Apply.RecomputeStatement.ExpectedColumns(table))}): {e.MessageText}. It must return every key and value column and the version column under the read-model names (alias them with AS).", e);
        }

        using var explain = new NpgsqlCommand($"EXPLAIN (FORMAT JSON) SELECT {columns} FROM {Sql.RecomputeQuery.Embed(table.ProjectionName, table.Mapping.RecomputeSql!)} AS q", connection);
        var plan = (string)(await explain.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        using var document = JsonDocument.Parse(plan);
        return (long)document.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
    }
}
