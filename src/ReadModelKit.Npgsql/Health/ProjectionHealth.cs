namespace ReadModelKit.Npgsql.Health;

/// <summary>How healthy a projection is, from what the database says about its progress.</summary>
public enum ProjectionHealth
{
    /// <summary>Within its expected lag and progressing.</summary>
    Healthy,

    /// <summary>Behind its expected lag (but within its maximum), paused, or delayed by a long transaction.</summary>
    Degraded,

    /// <summary>Beyond its maximum lag, stalled, faulted, or with pending events that no runner holds.</summary>
    Unhealthy,
}
