namespace ReadModelKit.Npgsql.Drift;

/// <summary>How much of a projection a drift check looks at.</summary>
public enum DriftCheckMode
{
    /// <summary>Every key in scope (nightly checks). The default.</summary>
    Full,

    /// <summary>A few random key ranges (<see cref="DriftCheckOptions.SampleRanges"/> ranges of <see cref="DriftCheckOptions.SampleRangeRows"/> rows): cheap, frequent checks.</summary>
    Sample,
}
