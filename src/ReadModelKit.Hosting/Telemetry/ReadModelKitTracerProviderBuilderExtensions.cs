using ReadModelKit.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>Enables ReadModelKit's traces in an OpenTelemetry tracer provider.</summary>
public static class ReadModelKitTracerProviderBuilderExtensions
{
    /// <summary>Collects the activities of the <c>ReadModelKit</c> activity source (listed in docs/telemetry.md).</summary>
    /// <param name="builder">The tracer provider builder.</param>
    public static TracerProviderBuilder AddReadModelKitInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(ReadModelKitDiagnostics.Name);
    }
}
