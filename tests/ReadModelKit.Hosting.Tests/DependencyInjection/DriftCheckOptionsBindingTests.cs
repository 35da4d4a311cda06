using Microsoft.Extensions.Configuration;
using ReadModelKit.Npgsql.Drift;

namespace ReadModelKit.Hosting.Tests.DependencyInjection;

/// <summary>Drift check options bind from configuration in their sections, and the flat keys of earlier versions still bind.</summary>
public sealed class DriftCheckOptionsBindingTests
{
    [Fact]
    public void Strategy_sections_bind_and_the_flat_keys_of_earlier_versions_still_do()
    {
        var nested = Bind(new()
        {
            ["SameDatabase:ChunkSize"] = "16",
            ["CrossDatabase:BlockSize"] = "500",
            ["CrossDatabase:FanOut"] = "8",
            ["CrossDatabase:LeafThreshold"] = "32",
            ["CrossDatabase:RowHash"] = "CanonicalText",
        });
        var flat = Bind(new()
        {
            ["ChunkSize"] = "16",
            ["BlockSize"] = "500",
            ["FanOut"] = "8",
            ["LeafThreshold"] = "32",
            ["RowHash"] = "CanonicalText",
        });

        foreach (var options in new[] { nested, flat })
        {
            Assert.Equal(16, options.SameDatabase.ChunkSize);
            Assert.Equal((500, 8, 32, DriftRowHash.CanonicalText), (options.CrossDatabase.BlockSize, options.CrossDatabase.FanOut, options.CrossDatabase.LeafThreshold, options.CrossDatabase.RowHash));
        }

        Assert.Equal(0, new DriftCheckOptions().MaxParallelWorkers);
        Assert.Equal(4, Bind(new() { ["MaxParallelWorkers"] = "4" }).MaxParallelWorkers);
        Assert.Null(Bind(new() { ["MaxParallelWorkers"] = "" }).MaxParallelWorkers);
        var invalid = Bind(new() { ["SameDatabase:ChunkSize"] = "0", ["FanOut"] = "1" });
        Assert.Equal(["SameDatabase.ChunkSize is 0: it must be at least 1.", "CrossDatabase.FanOut is 1: a block must split into at least 2 sub-blocks."], invalid.Validate());
    }

    private static DriftCheckOptions Bind(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().Get<DriftCheckOptions>()!;
}
