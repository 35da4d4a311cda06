using System.Text;
using Npgsql;
using NpgsqlTypes;
using ReadModelKit.Events;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Checkpoints;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Sql;

namespace ReadModelKit.Npgsql.Apply;

/// <summary>
/// The SQL of one projection's apply path, built once at start-up from its checked table mapping.
/// The main statement does the whole batch in one round trip: dedupe (inbox insert … RETURNING, or the checkpoint
/// position), park events behind dead letters, reduce to the newest version per key, guarded upsert/tombstone,
/// and the checkpoint compare-and-set (SQL of the checkpoint owner, <see cref="NpgsqlCheckpointStore"/>).
/// </summary>
internal sealed class ApplyStatements
{
    /// <summary>Parameters of the main statement before the key and value arrays; the checkpoint track follows those arrays.</summary>
    public const int FixedParameters = 13;

    /// <summary>Builds the statements.</summary>
    /// <param name="table">The checked table.</param>
    /// <param name="mode">The projection's idempotency mode.</param>
    /// <param name="schema">The library's schema.</param>
    /// <param name="checkpoints">The checkpoint owner, whose SQL the main statement embeds.</param>
    /// <param name="targets">
    /// The physical tables every batch writes (the serving version first, then versions being rebuilt or kept for rollback), or null for
    /// <paramref name="table"/> alone. Rows written are counted on the first.
    /// </param>
    public ApplyStatements(ReadModelTable table, IdempotencyMode mode, SqlIdentifier schema, NpgsqlCheckpointStore checkpoints, IReadOnlyList<ReadModelTable>? targets = null)
    {
        targets ??= [table];
        Main = BuildMain(table, targets, mode, schema.Quoted, checkpoints, advance: true);
        // Dead-lettered events were never applied, so a replay needs no position filter: only the inbox (if any) and the version guard.
        // It leaves every checkpoint where it is: the batch that dead-lettered the events already moved their partition's past them.
        Replay = BuildMain(table, targets, mode == IdempotencyMode.Inbox ? mode : IdempotencyMode.VersionGuardOnly, schema.Quoted, checkpoints, advance: false);
        DeadLetter = $"""
            INSERT INTO {schema.Quoted}.dead_letter
                (projection_name, event_id, ordering_key, version, position, event_type, occurred_at, payload, status, error, attempts)
            SELECT $1, d.* FROM unnest($2::uuid[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::timestamptz[], $8::jsonb[], $9::text[], $10::text[], $11::int4[])
                AS d(event_id, ordering_key, version, position, event_type, occurred_at, payload, status, error, attempts)
            {(mode == IdempotencyMode.Inbox ? $"WHERE NOT EXISTS (SELECT 1 FROM {schema.Quoted}.inbox i WHERE i.projection_name = $1 AND i.event_id = d.event_id)" : "")}
            ON CONFLICT (projection_name, event_id) WHERE resolved_at IS NULL DO NOTHING
            """;
        Recompute = table.Mapping.RecomputeSql is null ? [] : targets.Select(t => RecomputeStatement.Build(t)).ToList();
    }

    /// <summary>The main statement (see the class summary).</summary>
    public string Main { get; }

    /// <summary>The statement replaying dead-lettered events: no checkpoint position filter, no checkpoint write (returns the partition's position as it is).</summary>
    public string Replay { get; }

    /// <summary>Inserts dead-lettered and parked events (in inbox mode, not those the inbox already holds: a redelivered skipped event stays skipped).</summary>
    public string DeadLetter { get; }

    /// <summary>Recomputes affected keys from the mapping's recompute query, one statement per target table; empty when the mapping has none.</summary>
    public IReadOnlyList<string> Recompute { get; }

    /// <summary>Binds the parameters of <see cref="Main"/> or <see cref="Replay"/> for one batch, in their order.</summary>
    /// <param name="p">The command's parameters (empty).</param>
    /// <param name="projection">The projection's name.</param>
    /// <param name="plan">The batch's plan.</param>
    /// <param name="batch">The batch as received (its highest position and newest source time move the checkpoint).</param>
    /// <param name="expectedCheckpoint">The checkpoint position the batch was read after, or null.</param>
    /// <param name="partition">The checkpoint partition.</param>
    /// <param name="now">The batch's time.</param>
    /// <param name="track">The checkpoint track the batch advances.</param>
    public static void AddMainParameters(NpgsqlParameterCollection p, string projection, BatchPlan plan, IReadOnlyList<EventEnvelope> batch, StreamPosition? expectedCheckpoint, int partition, DateTimeOffset now, string track)
    {
        var maxPosition = batch.Count == 0 ? 0 : batch.Max(e => e.Position.Value);
        DateTimeOffset? lastSourceTime = batch.Count == 0 ? null : batch.Max(e => e.OccurredAt);
        p.Add(new NpgsqlParameter<string> { TypedValue = projection });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = plan.Events.Select(e => e.EventId).ToArray() });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = plan.Events.Select(e => e.OrderingKey).ToArray() });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = plan.Events.Select(e => e.Position.Value).ToArray() });
        p.Add(new NpgsqlParameter<int> { TypedValue = partition });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = expectedCheckpoint is { } e ? e.Value : DBNull.Value });
        p.Add(new NpgsqlParameter<long> { TypedValue = maxPosition });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = lastSourceTime is { } t ? t.UtcDateTime : DBNull.Value });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = plan.Events.Select(e => e.Version).ToArray() });
        foreach (var parameter in plan.ChangeParameters())
        {
            p.Add(parameter);
        }

        p.Add(new NpgsqlParameter<string> { TypedValue = track });
    }

    private static string BuildMain(ReadModelTable table, IReadOnlyList<ReadModelTable> targets, IdempotencyMode mode, string schema, NpgsqlCheckpointStore checkpoints, bool advance)
    {
        var keys = table.Keys.Select(k => ReadModelTable.Quote(k.Name)).ToList();
        var values = table.Values.Select(v => ReadModelTable.Quote(v.Name)).ToList();
        var keyBuffers = table.Keys.Select(ColumnBuffer.For).ToList();
        var valueBuffers = table.Values.Select(ColumnBuffer.For).ToList();
        var parameter = FixedParameters + 1;
        var unnestArgs = ColumnArrays.Arguments(keyBuffers.Concat(valueBuffers), ref parameter);
        var aliases = ColumnArrays.Names(keys.Count, "k").Concat(ColumnArrays.Names(values.Count, "v")).ToList();
        var selects = ColumnArrays.Elements(table.Keys, keyBuffers, "c", "k").Concat(ColumnArrays.Elements(table.Values, valueBuffers, "c", "v")).ToList();
        var track = SqlParameters.Placeholder(parameter);
        var version = ReadModelTable.Quote(table.Version.Name);
        var insertColumns = new List<string>(keys) { };
        insertColumns.AddRange(values);
        insertColumns.Add(version);
        var insertValues = new List<string>(keys);
        insertValues.AddRange(values.Select(v => $"CASE WHEN l.kind = 1 THEN NULL ELSE l.{v} END"));
        insertValues.Add("l.version");
        var updates = values.Select(v => $"{v} = EXCLUDED.{v}").ToList();
        updates.Add($"{version} = EXCLUDED.{version}");
        if (table.ProjectedAt is { } projectedAt)
        {
            insertColumns.Add(projectedAt);
            insertValues.Add("$9");
            updates.Add($"{projectedAt} = EXCLUDED.{projectedAt}");
        }

        if (table.Tombstone is { } tombstone)
        {
            insertColumns.Add(tombstone);
            insertValues.Add("CASE WHEN l.kind = 1 THEN $9 END");
            updates.Add($"{tombstone} = EXCLUDED.{tombstone}");
        }

        var fresh = mode switch
        {
            IdempotencyMode.Inbox => $"""
                INSERT INTO {schema}.inbox (projection_name, event_id)
                    SELECT $1, b.event_id FROM batch b WHERE NOT EXISTS (SELECT 1 FROM parked p WHERE p.event_id = b.event_id)
                    ON CONFLICT DO NOTHING
                    RETURNING event_id
                """,
            IdempotencyMode.Checkpoint => """
                SELECT b.event_id FROM batch b
                    WHERE NOT EXISTS (SELECT 1 FROM parked p WHERE p.event_id = b.event_id)
                      AND b.position > (SELECT position FROM cp_now)
                """,
            _ => "SELECT b.event_id FROM batch b WHERE NOT EXISTS (SELECT 1 FROM parked p WHERE p.event_id = b.event_id)",
        };
        var expected = mode == IdempotencyMode.Checkpoint ? "coalesce($6, (SELECT position FROM cp_now))" : "$6";
        var keyList = string.Join(", ", keys);
        var sql = new StringBuilder();
        sql.Append($"""
            WITH batch AS (
                SELECT * FROM unnest($2::uuid[], $3::text[], $4::int8[], $10::int8[]) AS b(event_id, ordering_key, position, version)
            ), cp_now AS (
                {checkpoints.BatchPositionSql("$1", track, "$5")}
            ), parked AS (
                SELECT b.event_id FROM batch b
                WHERE EXISTS (SELECT 1 FROM {schema}.dead_letter d
                              WHERE d.projection_name = $1 AND d.ordering_key = b.ordering_key AND d.resolved_at IS NULL
                                AND d.version <= b.version)
            ), fresh AS (
                {fresh}
            ), changes AS (
                SELECT c.event_id, c.version, c.kind, {string.Join(", ", selects)}
                FROM unnest($11::uuid[], $12::int8[], $13::int2[], {string.Join(", ", unnestArgs)})
                    AS c(event_id, version, kind, {string.Join(", ", aliases)})
                WHERE c.event_id IN (SELECT event_id FROM fresh)
            ), latest AS (
                SELECT DISTINCT ON ({keyList}) * FROM changes ORDER BY {keyList}, version DESC, kind DESC
            ), {string.Join(", ", targets.Select((target, n) => $"""
                {(n == 0 ? "written" : $"written_{n}")} AS (
                INSERT INTO {target.QualifiedName} AS t ({string.Join(", ", insertColumns)})
                SELECT {string.Join(", ", insertValues.Select((v, i) => i < keys.Count ? "l." + v : v))} FROM latest l
                ON CONFLICT ({keyList}) DO UPDATE SET {string.Join(", ", updates)}
                WHERE t.{version} < EXCLUDED.{version}
                RETURNING 1
            )
            """))}, cp_write AS (
                {(advance ? checkpoints.BatchAdvanceSql("$1", track, "$5", expected, "$7", "$8", "$9") : "SELECT coalesce((SELECT position FROM cp_now), 0) AS position")}
            )
            SELECT (SELECT count(*) FROM fresh)::int4,
                   (SELECT count(*) FROM written)::int4,
                   (SELECT position FROM cp_write),
                   ARRAY(SELECT event_id FROM parked)
            """);
        return sql.ToString();
    }
}
