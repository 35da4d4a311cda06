namespace ReadModelKit.Npgsql.Control;

/// <summary>An operator's standing instructions for one partition, as runner nodes read them.</summary>
/// <param name="Paused">Whether the partition must not apply events.</param>
/// <param name="RestartGeneration">Grows with every restart request; a runner restarts a faulted partition when it sees a new value.</param>
internal readonly record struct PartitionControl(bool Paused, long RestartGeneration);
