using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ReadModelKit.Changes;
using ReadModelKit.Contracts;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.Mapping;
using ReadModelKit.Npgsql.Tests.Infrastructure;
using ReadModelKit.Projections;

namespace ReadModelKit.Npgsql.Tests.Privacy;

/// <summary>
/// A case list with the masked column <c>party_display_name</c> (payload field <c>partyDisplayName</c>, masked) and a prohibited
/// payload field <c>nationalId</c>. <c>PartySet</c> writes a row; <c>BadParty</c> throws a message quoting the party's name;
/// <c>WrongParty</c> writes a value that does not fit the column.
/// </summary>
public sealed class PartyProjection(ProjectionContract contract) : IProjection
{
    public const string TableSql = """
        CREATE TABLE {0} (
            tenant_id          text        NOT NULL,
            case_id            integer     NOT NULL,
            status             text,
            party_display_name text,
            version            bigint      NOT NULL,
            projected_at       timestamptz NOT NULL,
            deleted_at         timestamptz,
            PRIMARY KEY (tenant_id, case_id)
        );
        CREATE TABLE {0}_src (
            tenant_id          text    NOT NULL,
            case_id            integer NOT NULL,
            status             text,
            party_display_name text,
            PRIMARY KEY (tenant_id, case_id)
        )
        """;

    public ProjectionContract Contract { get; } = contract;

    /// <summary>Whether BadParty events fail.</summary>
    public bool Broken { get; set; } = true;

    public static ProjectionContract ContractFor(string name, FailurePolicy policy = FailurePolicy.DeadLetterAndContinue) => new()
    {
        Name = name,
        Source = new ProjectionSource(SourceKind.BrokerTopic, "case-events"),
        OrderingScope = ["tenant_id", "case_id"],
        Idempotency = IdempotencyMode.Inbox,
        FailurePolicy = policy,
        Tenancy = TenantScoping.ByTenantId,
        PiiFields =
        [
            new PiiField("partyDisplayName", PiiClassification.Masked, "party_display_name"),
            new PiiField("nationalId", PiiClassification.Prohibited),
            new PiiField("status", PiiClassification.Visible, "status"),
        ],
    };

    public static ReadModelTableMapping Mapping(string table) => new()
    {
        Table = table,
        KeyColumns = ["tenant_id", "case_id"],
        ValueColumns = ["status", "party_display_name"],
        RecomputeSql = $"SELECT tenant_id, case_id, status, party_display_name FROM {table}_src",
    };

    /// <summary>
    /// Creates the tables of each projection (read model and <c>_src</c> source, unless <paramref name="createTables"/> is false) in the
    /// fixture's schema, and an initialized store over them with the library's tables in <c>{schema}_rmk</c>.
    /// </summary>
    public static async Task<NpgsqlReadModelStore> CreateStoreAsync(
        PostgresSchemaFixture db,
        IReadOnlyList<PartyProjection> projections,
        Action<NpgsqlReadModelOptions>? configure = null,
        ILoggerFactory? loggers = null,
        bool createTables = true)
    {
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_rmk" };
        foreach (var projection in projections)
        {
            var name = projection.Contract.Name;
            if (createTables)
            {
                await db.ExecuteAsync(string.Format(CultureInfo.InvariantCulture, TableSql, name));
            }

            options.Map(name, Mapping(name));
        }

        configure?.Invoke(options);
        var store = new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, projections, TimeProvider.System, loggers);
        await store.InitializeAsync();
        return store;
    }

    public IEnumerable<RowChange> Project(EventEnvelope envelope)
    {
        var payload = envelope.Payload;
        var name = payload.GetProperty("partyDisplayName").GetString();
        if (envelope.Type == "BadParty" && Broken)
        {
            throw new FormatException($"cannot parse party '{name}' of national id {payload.GetProperty("nationalId").GetString()}");
        }

        var key = new RowKey(payload.GetProperty("tenant").GetString()!, payload.GetProperty("case").GetInt32());
        object? party = envelope.Type == "WrongParty" ? new System.Text.StringBuilder(name) : name; // not a string: does not fit the text column
        return [RowChange.Upsert(key, envelope.Version, new Dictionary<string, object?> { ["status"] = payload.GetProperty("status").GetString(), ["party_display_name"] = party })];
    }

    public static EventEnvelope Event(string type, string tenant, int caseId, long version, string party, string nationalId = "NID-000") => new()
    {
        EventId = Guid.NewGuid(),
        OrderingKey = $"{tenant}/{caseId}",
        Version = version,
        Position = new StreamPosition(0),
        Type = type,
        OccurredAt = new DateTimeOffset(2026, 7, 5, 3, 10, 0, TimeSpan.Zero),
        Payload = JsonSerializer.SerializeToElement(new
        {
            tenant,
            @case = caseId,
            status = "open",
            partyDisplayName = party,
            nationalId,
            history = new[] { new { partyDisplayName = party, at = "2026-07-05" } },
        }),
    };
}
