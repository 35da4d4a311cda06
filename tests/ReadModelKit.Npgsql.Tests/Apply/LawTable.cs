using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Apply;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.Apply;

/// <summary>A case-list table plus its applier, reset between generated cases.</summary>
public sealed class LawTable
{
    private readonly PostgresSchemaFixture _db;

    private LawTable(PostgresSchemaFixture db, string name, ProjectionApplier applier)
    {
        _db = db;
        Name = name;
        Applier = applier;
    }

    public string Name { get; }

    public ProjectionApplier Applier { get; }

    public static async Task<LawTable> CreateAsync(PostgresSchemaFixture db, string name, IdempotencyMode mode)
    {
        var projection = new CaseListProjection(CaseListProjection.ContractFor(name, mode));
        var store = await StoreFactory.CreateAsync(db, projection, name + "_rm");
        return new LawTable(db, name, store.GetApplier(name));
    }

    public Task ResetAsync() => _db.ExecuteAsync($"""
        TRUNCATE "{Name}_rm";
        DELETE FROM "{_db.Schema}_rmk".inbox WHERE projection_name = '{Name}';
        UPDATE "{_db.Schema}_rmk".checkpoint SET position = 0 WHERE projection_name = '{Name}';
        """);

    public Task<List<CaseRow>> RowsAsync() => ReadModelRows.ReadAsync(_db.DataSource, Name + "_rm");
}
