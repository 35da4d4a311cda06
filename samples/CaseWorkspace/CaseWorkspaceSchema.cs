namespace CaseWorkspace;

/// <summary>
/// The sample's tables: the canonical (authoritative) case-management tables the application writes,
/// and the case list read model ReadModelKit keeps. Everything lives in the <see cref="Schema"/> schema.
/// </summary>
public static class CaseWorkspaceSchema
{
    /// <summary>The schema of the canonical tables and the read model.</summary>
    public const string Schema = "case_workspace";

    /// <summary>ReadModelKit's own tables (inbox, checkpoint, dead letters).</summary>
    public const string LibrarySchema = "case_workspace_rmk";

    /// <summary>The read-model table.</summary>
    public const string ReadModelTable = "case_list_read_model";

    /// <summary>Drops both schemas (so a reused server starts clean) and creates the tables.</summary>
    public const string CreateSql = $"""
        DROP SCHEMA IF EXISTS {LibrarySchema} CASCADE;
        DROP SCHEMA IF EXISTS {Schema} CASCADE;
        CREATE SCHEMA {Schema};

        CREATE TABLE {Schema}.cases (
            tenant_id  text        NOT NULL,
            case_id    integer     NOT NULL,
            title      text        NOT NULL,
            status     text        NOT NULL CHECK (status IN ('open', 'in_progress', 'closed')),
            party_display_name text NOT NULL,
            opened_at  timestamptz NOT NULL,
            closed_at  timestamptz,
            version    bigint      NOT NULL,
            PRIMARY KEY (tenant_id, case_id)
        );

        CREATE TABLE {Schema}.tasks (
            tenant_id    text        NOT NULL,
            case_id      integer     NOT NULL,
            task_id      integer     NOT NULL,
            title        text        NOT NULL,
            completed_at timestamptz,
            PRIMARY KEY (tenant_id, case_id, task_id),
            FOREIGN KEY (tenant_id, case_id) REFERENCES {Schema}.cases ON DELETE CASCADE
        );

        CREATE TABLE {Schema}.assignments (
            tenant_id   text        NOT NULL,
            case_id     integer     NOT NULL,
            assignee    text        NOT NULL,
            assigned_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, case_id),
            FOREIGN KEY (tenant_id, case_id) REFERENCES {Schema}.cases ON DELETE CASCADE
        );

        CREATE TABLE {Schema}.{ReadModelTable} (
            tenant_id       text        NOT NULL,
            case_id         integer     NOT NULL,
            status          text,
            assignee        text,
            open_task_count integer,
            party_display_name text,    -- masked in the contract: the library shows and keeps it only as a digest
            version         bigint      NOT NULL,
            projected_at    timestamptz NOT NULL,
            deleted_at      timestamptz,
            PRIMARY KEY (tenant_id, case_id)
        );
        """;

    /// <summary>What the read model should hold according to the canonical tables: one row per existing case.</summary>
    public const string ExpectedRowsSql = $"""
        SELECT c.tenant_id, c.case_id, c.status, a.assignee,
               (SELECT count(*) FROM {Schema}.tasks t
                WHERE t.tenant_id = c.tenant_id AND t.case_id = c.case_id AND t.completed_at IS NULL)::int AS open_task_count,
               c.party_display_name, c.version
        FROM {Schema}.cases c
        LEFT JOIN {Schema}.assignments a ON a.tenant_id = c.tenant_id AND a.case_id = c.case_id
        """;

    /// <summary>
    /// Compares the read model's live rows with <see cref="ExpectedRowsSql"/>: canonical case count, live read-model rows,
    /// tombstones, and the rows that differ either way (missing, extra or changed).
    /// </summary>
    public const string CompareSql = $"""
        WITH expected AS ({ExpectedRowsSql}),
        actual AS (
            SELECT tenant_id, case_id, status, assignee, open_task_count, party_display_name, version
            FROM {Schema}.{ReadModelTable} WHERE deleted_at IS NULL
        )
        SELECT (SELECT count(*) FROM expected),
               (SELECT count(*) FROM actual),
               (SELECT count(*) FROM {Schema}.{ReadModelTable} WHERE deleted_at IS NOT NULL),
               (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM actual) missing_or_changed)
             + (SELECT count(*) FROM (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected) extra_or_changed)
        """;
}
