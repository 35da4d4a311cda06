using System.Text.Json;
using ReadModelKit.Contracts;
using ReadModelKit.Serialization;
using ReadModelKit.Tests.Generators;

namespace ReadModelKit.Tests.Contracts;

public sealed class ContractSerializationTests
{
    [Fact]
    public void Any_valid_contract_round_trips_through_json()
    {
        Prop.ForAll(ContractGenerators.Valid.ToArbitrary(), contract =>
            {
                var json = JsonSerializer.Serialize(contract, ReadModelKitJsonContext.Default.ProjectionContract);
                var back = JsonSerializer.Deserialize(json, ReadModelKitJsonContext.Default.ProjectionContract);
                return contract.Equals(back);
            })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Json_uses_camel_case_names_and_enum_names()
    {
        var json = JsonSerializer.Serialize(SeedContracts.CaseList, ReadModelKitJsonContext.Default.ProjectionContract);

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("case_list_read_model", root.GetProperty("name").GetString());
        Assert.Equal("Outbox", root.GetProperty("source").GetProperty("kind").GetString());
        Assert.Equal("Inbox", root.GetProperty("idempotency").GetString());
        Assert.Equal(2, root.GetProperty("orderingScope").GetArrayLength());
    }
}
