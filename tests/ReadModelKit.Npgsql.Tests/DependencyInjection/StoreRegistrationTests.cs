using Microsoft.Extensions.DependencyInjection;
using ReadModelKit.Contracts;
using ReadModelKit.Npgsql.Tests.Infrastructure;

namespace ReadModelKit.Npgsql.Tests.DependencyInjection;

public sealed class StoreRegistrationTests(PostgresSchemaFixture db) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task The_store_resolves_from_DI_and_applies_to_the_mapped_table()
    {
        await db.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, CaseListProjection.TableSql, "di_rm"));
        var services = new ServiceCollection();
        services.AddReadModelKit(kit => kit.AddProjection(new CaseListProjection(CaseListProjection.ContractFor("di_case_list", IdempotencyMode.Inbox))))
                .UseNpgsql(db.DataSource, o => o.Map("di_case_list", CaseListProjection.Mapping("di_rm")).Schema = db.Schema + "_rmk");
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<NpgsqlReadModelStore>();
        await store.InitializeAsync();
        var result = await store.GetApplier("di_case_list").ApplyAsync([CaseListProjection.Upserted("t1", 1, 1, "open")]);

        Assert.Equal(1, result.RowsWritten);
        Assert.Equal([new CaseRow("t1", 1, "open", null, 1, false)], await ReadModelRows.ReadAsync(db.DataSource, "di_rm"));
    }

    [Fact]
    public async Task A_store_constructed_directly_validates_every_contract_and_writes_nothing()
    {
        var invalid = CaseListProjection.ContractFor("direct_invalid", IdempotencyMode.Inbox) with { Version = 0, OrderingScope = [] };
        var options = new NpgsqlReadModelOptions { Schema = db.Schema + "_direct" };
        options.Map("direct_invalid", CaseListProjection.Mapping("direct_rm"));

        var exception = Assert.Throws<ReadModelKit.Exceptions.ProjectionContractException>(() =>
            new NpgsqlReadModelStore(new ReadModelKitDataSource(db.DataSource), options, [new CaseListProjection(invalid)], TimeProvider.System));

        Assert.Equal("direct_invalid", exception.ProjectionName);
        Assert.Contains("Version 0 is not valid: versions start at 1.", exception.Message, StringComparison.Ordinal);
        Assert.Contains("OrderingScope is empty", exception.Message, StringComparison.Ordinal);
        await using var command = db.DataSource.CreateCommand("SELECT count(*) FROM pg_namespace WHERE nspname = $1");
        command.Parameters.AddWithValue(db.Schema + "_direct");
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public void Invalid_apply_options_are_rejected_at_registration()
    {
        var services = new ServiceCollection();

        var exception = Assert.Throws<ReadModelKit.Exceptions.ReadModelKitException>(() =>
            services.AddReadModelKit().UseNpgsql(db.DataSource, o => { o.Apply.MaxHandlerAttempts = 0; o.Apply.MaxTransientRetries = -1; }));

        Assert.Equal($"ReadModelKit.Npgsql options are invalid (2):{Environment.NewLine} - Apply.MaxHandlerAttempts 0 must be at least 1.{Environment.NewLine} - Apply.MaxTransientRetries -1 must be 0 or more.", exception.Message);
    }
}
