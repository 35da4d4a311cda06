using ReadModelKit.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>Enables ReadModelKit's metrics in an OpenTelemetry meter provider.</summary>
public static class ReadModelKitMeterProviderBuilderExtensions
{
    /// <summary>Collects every instrument of the <c>ReadModelKit</c> meter (listed with units in docs/telemetry.md).</summary>
    /// <param name="builder">The meter provider builder.</param>
    public static MeterProviderBuilder AddReadModelKitInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(ReadModelKitDiagnostics.Name);
    }
}
