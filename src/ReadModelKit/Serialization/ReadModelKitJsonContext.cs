using System.Text.Json.Serialization;
using ReadModelKit.Contracts;
using ReadModelKit.Freshness;

namespace ReadModelKit.Serialization;

/// <summary>Source-generated System.Text.Json metadata for the public value types (contracts, freshness blocks). Enums are written as names.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ProjectionContract))]
[JsonSerializable(typeof(FreshnessInfo))]
public sealed partial class ReadModelKitJsonContext : JsonSerializerContext;
