namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The approximate bytes one check received from the servers, over every statement it ran (detection, confirmation, re-checks).
/// Each detector reads rows only through <see cref="CountedRows"/> over its counter, so counting is not part of the comparison logic.
/// Thread-safe: the two sides of a comparison count at once.
/// </summary>
internal sealed class ReceivedBytes
{
    private long _bytes;

    /// <summary>The bytes counted so far.</summary>
    public long Total => Interlocked.Read(ref _bytes);

    /// <summary>Counts <paramref name="bytes"/> more.</summary>
    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);
}
