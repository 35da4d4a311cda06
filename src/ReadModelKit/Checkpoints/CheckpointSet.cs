namespace ReadModelKit.Checkpoints;

/// <summary>
/// The checkpoints of one projection on one track: the live track is what readers query; a rebuild keeps another track
/// (for example its read-model version) beside it, so both advance independently through the same store.
/// </summary>
/// <param name="Projection">The projection's name.</param>
/// <param name="Track">The track; <see cref="LiveTrack"/> (empty) for the projection's live checkpoints.</param>
public readonly record struct CheckpointSet(string Projection, string Track)
{
    /// <summary>The track of the live projection.</summary>
    public const string LiveTrack = "";

    /// <summary>The live checkpoints of <paramref name="projection"/>.</summary>
    /// <param name="projection">The projection's name.</param>
    public static CheckpointSet Live(string projection) => new(projection, LiveTrack);

    /// <inheritdoc />
    public override string ToString() => Track.Length == 0 ? Projection : $"{Projection} (track '{Track}')";
}
