namespace ReadModelKit.Npgsql.Rebuild;

/// <summary>Progress of a backfill, a replay or a repair, reported after every chunk or replayed batch.</summary>
/// <param name="ProjectionName">The projection.</param>
/// <param name="State">The run's state (Backfilling for a repair in place).</param>
/// <param name="RowsDone">Rows read from the recompute query (events read from the outbox, for a replay) so far, across resumes.</param>
/// <param name="EstimatedTotal">The planner's estimate of all rows, or null when unknown.</param>
/// <param name="RowsPerSecond">The rate of this node since it started or resumed.</param>
/// <param name="EstimatedRemaining">Time left at that rate, or null when unknown.</param>
public readonly record struct RebuildProgress(string ProjectionName, RebuildRunState State, long RowsDone, long? EstimatedTotal, double RowsPerSecond, TimeSpan? EstimatedRemaining);
