namespace ReadModelKit.Npgsql.Schema;

/// <summary>
/// The library's own tables, as an ordered list of migrations. A release only appends migrations; applied ones never change.
/// <c>{schema}</c> is replaced by the quoted, validated schema name.
/// </summary>
internal static class SchemaMigrations
{
    public static IReadOnlyList<(int Version, string Description, string Sql)> All { get; } =
    [
        (1, "inbox, checkpoint, dead letter", """
            CREATE TABLE IF NOT EXISTS {schema}.inbox (
                projection_name text        NOT NULL,
                event_id        uuid        NOT NULL,
                processed_at    timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (projection_name, event_id)
            );
            -- processed_at grows with insertion order, so a BRIN index serves bounded pruning at almost no insert cost.
            CREATE INDEX IF NOT EXISTS inbox_processed_at_brin ON {schema}.inbox USING brin (processed_at);

            CREATE TABLE IF NOT EXISTS {schema}.checkpoint (
                projection_name  text        NOT NULL,
                partition_id     integer     NOT NULL DEFAULT 0,
                position         bigint      NOT NULL DEFAULT 0,
                last_source_time timestamptz,
                projected_at     timestamptz,
                state            text        NOT NULL DEFAULT 'CatchingUp',
                last_error       text,
                updated_at       timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (projection_name, partition_id)
            );

            CREATE TABLE IF NOT EXISTS {schema}.dead_letter (
                id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                projection_name  text        NOT NULL,
                event_id         uuid        NOT NULL,
                ordering_key     text        NOT NULL,
                version          bigint      NOT NULL,
                position         bigint      NOT NULL,
                event_type       text        NOT NULL,
                occurred_at      timestamptz NOT NULL,
                payload          jsonb       NOT NULL,
                status           text        NOT NULL CHECK (status IN ('dead', 'parked')),
                error            text,
                attempts         integer     NOT NULL DEFAULT 0,
                created_at       timestamptz NOT NULL DEFAULT now(),
                resolved_at      timestamptz,
                resolution       text CHECK (resolution IN ('replayed', 'skipped'))
            );
            CREATE UNIQUE INDEX IF NOT EXISTS dead_letter_open_event
                ON {schema}.dead_letter (projection_name, event_id) WHERE resolved_at IS NULL;
            CREATE INDEX IF NOT EXISTS dead_letter_open_key
                ON {schema}.dead_letter (projection_name, ordering_key) WHERE resolved_at IS NULL;
            """),
        (2, "outbox, partition leases, runner nodes", """
            -- The transactional outbox. position orders events inside a transaction; tx_id (the writing transaction)
            -- is what readers trust: see docs/outbox.md for why a sequence position alone skips events.
            CREATE TABLE IF NOT EXISTS {schema}.outbox (
                position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tx_id        xid8        NOT NULL DEFAULT pg_current_xact_id(),
                stream       text        NOT NULL,
                event_id     uuid        NOT NULL UNIQUE,
                ordering_key text        NOT NULL,
                version      bigint      NOT NULL,
                event_type   text        NOT NULL,
                occurred_at  timestamptz NOT NULL,
                payload      jsonb       NOT NULL
            );
            CREATE INDEX IF NOT EXISTS outbox_stream_tx ON {schema}.outbox (stream, tx_id, position);

            -- One row per projection partition. The unique index on token makes every takeover (token + 1) a key update:
            -- it must wait for the FOR KEY SHARE fence each apply transaction holds, while renewals (expires_at) never block applies.
            CREATE TABLE IF NOT EXISTS {schema}.lease (
                projection_name text        NOT NULL,
                partition_id    integer     NOT NULL,
                partition_count integer     NOT NULL,
                owner           text,
                token           bigint      NOT NULL DEFAULT 0,
                acquired_at     timestamptz,
                expires_at      timestamptz,
                PRIMARY KEY (projection_name, partition_id),
                UNIQUE (projection_name, partition_id, token)
            );

            -- The runner nodes alive per projection: the fair share of partitions is ceil(partitions / live nodes).
            CREATE TABLE IF NOT EXISTS {schema}.runner_node (
                projection_name text        NOT NULL,
                node_id         text        NOT NULL,
                started_at      timestamptz NOT NULL DEFAULT now(),
                expires_at      timestamptz NOT NULL,
                PRIMARY KEY (projection_name, node_id)
            );
            """),
        (3, "drift incidents", """
            CREATE TABLE IF NOT EXISTS {schema}.drift_incident (
                id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                projection_name  text        NOT NULL,
                row_key          jsonb       NOT NULL,
                kind             text        NOT NULL CHECK (kind IN ('missing', 'extra', 'changed')),
                expected         jsonb,
                actual           jsonb,
                detected_at      timestamptz NOT NULL,
                last_detected_at timestamptz NOT NULL,
                repaired_at      timestamptz
            );
            -- One open incident per key: a later check refreshes it instead of adding a duplicate.
            CREATE UNIQUE INDEX IF NOT EXISTS drift_incident_open_key
                ON {schema}.drift_incident (projection_name, row_key) WHERE repaired_at IS NULL;
            """),
        (4, "checkpoint tracks, partition control", """
            -- A projection keeps one checkpoint set per track: '' is the live one; a rebuild advances its own beside it.
            ALTER TABLE {schema}.checkpoint ADD COLUMN IF NOT EXISTS track text NOT NULL DEFAULT '';
            ALTER TABLE {schema}.checkpoint DROP CONSTRAINT IF EXISTS checkpoint_pkey;
            ALTER TABLE {schema}.checkpoint ADD PRIMARY KEY (projection_name, track, partition_id);

            -- Operators' intent per partition, written only by ProjectionControl and obeyed by every runner node:
            -- paused stops applying; a higher restart_generation restarts a faulted partition.
            CREATE TABLE IF NOT EXISTS {schema}.partition_control (
                projection_name    text        NOT NULL,
                partition_id       integer     NOT NULL,
                paused             boolean     NOT NULL DEFAULT false,
                restart_generation bigint      NOT NULL DEFAULT 0,
                updated_at         timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (projection_name, partition_id)
            );
            """),
        (5, "projection versions, rebuild runs", """
            -- Per projection: the version the stable view serves and the versions live writes go to. Every change bumps generation,
            -- a key column (unique index): an apply batch holds FOR KEY SHARE on the row, so a change waits for in-flight batches
            -- and every later batch sees it.
            CREATE TABLE IF NOT EXISTS {schema}.projection_version (
                projection_name text        PRIMARY KEY,
                generation      bigint      NOT NULL DEFAULT 0,
                serving_version integer,
                fed_versions    integer[]   NOT NULL DEFAULT '{}',
                updated_at      timestamptz NOT NULL DEFAULT now(),
                UNIQUE (projection_name, generation)
            );

            CREATE TABLE IF NOT EXISTS {schema}.rebuild_run (
                id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                projection_name  text        NOT NULL,
                from_version     integer     NOT NULL,
                to_version       integer     NOT NULL,
                method           text        NOT NULL,
                state            text        NOT NULL CHECK (state IN ('planned', 'backfilling', 'catching_up', 'validating', 'ready',
                                                                        'cut_over', 'retired', 'failed', 'cancelled', 'rolled_back')),
                last_key         text[],
                rows_done        bigint      NOT NULL DEFAULT 0,
                estimated_rows   bigint,
                owner            text,
                token            bigint      NOT NULL DEFAULT 0,
                lease_expires_at timestamptz,
                gate_passed      boolean,
                gate_report      text,
                error            text,
                created_at       timestamptz NOT NULL DEFAULT now(),
                updated_at       timestamptz NOT NULL DEFAULT now(),
                backfill_started_at timestamptz,
                cut_over_at      timestamptz,
                finished_at      timestamptz
            );
            -- At most one run per projection that is not finished: a second rebuild is refused.
            CREATE UNIQUE INDEX IF NOT EXISTS rebuild_run_active
                ON {schema}.rebuild_run (projection_name) WHERE state NOT IN ('retired', 'failed', 'cancelled', 'rolled_back');
            """),
        (6, "released dead letters, outbox events held for open dead letters", """
            -- A skip releases the parked events whose payload can be restored from nowhere: resolved, never applied, no inbox row,
            -- so a re-delivery from the source applies them.
            ALTER TABLE {schema}.dead_letter DROP CONSTRAINT IF EXISTS dead_letter_resolution_check;
            ALTER TABLE {schema}.dead_letter ADD CONSTRAINT dead_letter_resolution_check
                CHECK (resolution IN ('replayed', 'skipped', 'released'));
            -- The outbox pruner keeps every event an open dead letter may be restored from.
            CREATE INDEX IF NOT EXISTS dead_letter_open_event_id ON {schema}.dead_letter (event_id) WHERE resolved_at IS NULL;
            """),
        (7, "maintenance runs", """
            -- When each scheduled maintenance task last ran (written only by MaintenanceRunLog), so a schedule survives restarts
            -- and every node shares it: a node that starts after the nightly check's time still runs a missed check, once.
            CREATE TABLE IF NOT EXISTS {schema}.maintenance_run (
                task        text        PRIMARY KEY,
                last_run_at timestamptz NOT NULL
            );
            """),
        (8, "rebuild by outbox replay, outbox prune floor", """
            -- A rebuild may replay the outbox into the new version: its run is 'replaying' until its own checkpoints reach replay_to
            -- (the first position every live batch also wrote to the new version).
            ALTER TABLE {schema}.rebuild_run DROP CONSTRAINT IF EXISTS rebuild_run_state_check;
            ALTER TABLE {schema}.rebuild_run ADD CONSTRAINT rebuild_run_state_check
                CHECK (state IN ('planned', 'backfilling', 'replaying', 'catching_up', 'validating', 'ready',
                                 'cut_over', 'retired', 'failed', 'cancelled', 'rolled_back'));
            ALTER TABLE {schema}.rebuild_run ADD COLUMN IF NOT EXISTS replay_to bigint;
            -- The highest outbox position (transaction id) ever pruned per stream, written only by OutboxPruner in its delete
            -- transaction: a replay that needs an event at or before it refuses instead of building an incomplete version.
            CREATE TABLE IF NOT EXISTS {schema}.outbox_prune_floor (
                stream       text        PRIMARY KEY,
                pruned_up_to bigint      NOT NULL,
                pruned_at    timestamptz NOT NULL DEFAULT now()
            );
            """),
    ];

    /// <summary>The schema version this release creates.</summary>
    public static int Latest => All[^1].Version;
}
