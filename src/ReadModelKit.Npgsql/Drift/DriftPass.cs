namespace ReadModelKit.Npgsql.Drift;

/// <summary>The positions one detection pass read: the source's and the projection's (both 0 when the check is not lag-aware).</summary>
/// <param name="SourcePosition">The source position read with the expected state.</param>
/// <param name="ProjectionPosition">The projection position read with the read-model state.</param>
/// <param name="LagAware">Whether a source position reader was configured.</param>
internal readonly record struct DriftPass(long SourcePosition, long ProjectionPosition, bool LagAware)
{
    /// <summary>Whether differences seen in this pass are real: no position reader, or the projection had reached the source position.</summary>
    public bool CaughtUp => !LagAware || ProjectionPosition >= SourcePosition;
}
