using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReadModelKit.Diagnostics;

/// <summary>
/// The one <see cref="Meter"/> and one <see cref="ActivitySource"/> of ReadModelKit, both named <c>ReadModelKit</c>,
/// and the instruments named as in the seeds (projection_lag_seconds, projection_events_applied_total, …).
/// Every measurement carries the tag <c>projection.name</c>.
/// </summary>
public static class ReadModelKitDiagnostics
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "ReadModelKit";

    /// <summary>The tag that names the projection on every measurement and span.</summary>
    public const string ProjectionTag = "projection.name";

    private static readonly string? Version = typeof(ReadModelKitDiagnostics).Assembly.GetName().Version?.ToString();

    /// <summary>The activity source: one span per applied batch, rebuild step and drift check.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, Version);

    /// <summary>The meter holding every instrument below.</summary>
    public static Meter Meter { get; } = new(Name, Version);

    /// <summary>Events applied to the read model.</summary>
    public static Counter<long> EventsApplied { get; } = Meter.CreateCounter<long>("projection_events_applied_total", "{event}", "Events applied to the read model.");

    /// <summary>Event applications that failed (each retry counts).</summary>
    public static Counter<long> EventsFailed { get; } = Meter.CreateCounter<long>("projection_events_failed_total", "{event}", "Event applications that failed.");

    /// <summary>Events written to the dead-letter table.</summary>
    public static Counter<long> EventsDeadLettered { get; } = Meter.CreateCounter<long>("projection_dlq_total", "{event}", "Events written to the dead-letter table.");

    /// <summary>How long applying one batch took.</summary>
    public static Histogram<double> BatchDuration { get; } = Meter.CreateHistogram<double>("projection_batch_duration_seconds", "s", "Duration of one applied batch.");

    /// <summary>How far behind its source the projection is.</summary>
    public static Histogram<double> Lag { get; } = Meter.CreateHistogram<double>("projection_lag_seconds", "s", "Lag between the source and the read model.");

    /// <summary>Age of the source watermark the projection has reached.</summary>
    public static Histogram<double> WatermarkAge { get; } = Meter.CreateHistogram<double>("source_watermark_age_seconds", "s", "Age of the applied source watermark.");

    /// <summary>Rows processed by a running rebuild.</summary>
    public static Counter<long> RebuildProgress { get; } = Meter.CreateCounter<long>("projection_rebuild_rows_total", "{row}", "Rows written by rebuilds.");

    /// <summary>How long a rebuild took.</summary>
    public static Histogram<double> RebuildDuration { get; } = Meter.CreateHistogram<double>("projection_rebuild_duration_seconds", "s", "Duration of a projection rebuild.");

    /// <summary>Rebuild runs that stopped on an error (each stop counts; a resumed run may count again).</summary>
    public static Counter<long> RebuildFailures { get; } = Meter.CreateCounter<long>("projection_rebuild_failures_total", "{failure}", "Rebuild runs that stopped on an error.");

    /// <summary>Drifted rows found by reconciliation.</summary>
    public static Counter<long> DriftFound { get; } = Meter.CreateCounter<long>("projection_drift_found_total", "{row}", "Rows where the read model disagreed with its source.");

    /// <summary>Rows compared by drift checks (projection rows plus rows missing from the projection).</summary>
    public static Counter<long> DriftRowsChecked { get; } = Meter.CreateCounter<long>("projection_drift_rows_checked_total", "{row}", "Rows compared by drift checks.");

    /// <summary>How long one drift check took.</summary>
    public static Histogram<double> DriftCheckDuration { get; } = Meter.CreateHistogram<double>("projection_drift_check_duration_seconds", "s", "Duration of one drift check.");

    /// <summary>Drifted keys repaired (recomputed from the source).</summary>
    public static Counter<long> DriftRepaired { get; } = Meter.CreateCounter<long>("projection_drift_repaired_total", "{row}", "Drifted keys repaired from the source.");

    /// <summary>Starts the span for one batch of <paramref name="projectionName"/>, or returns null when nobody listens.</summary>
    /// <param name="operation">The span name (for example <c>apply_batch</c>).</param>
    /// <param name="projectionName">The projection concerned.</param>
    public static Activity? StartActivity(string operation, string projectionName)
    {
        var activity = ActivitySource.StartActivity(operation, ActivityKind.Internal);
        activity?.SetTag(ProjectionTag, projectionName);
        return activity;
    }

    /// <summary>The tag list naming <paramref name="projectionName"/>.</summary>
    /// <param name="projectionName">The projection concerned.</param>
    public static KeyValuePair<string, object?> Tag(string projectionName) => new(ProjectionTag, projectionName);
}
