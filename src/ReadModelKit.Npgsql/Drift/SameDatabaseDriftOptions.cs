namespace ReadModelKit.Npgsql.Drift;

/// <summary>Sizes of a same-database drift check (<see cref="DriftStrategy.SameDatabase"/>). Plain and bindable; every default is stated.</summary>
public sealed class SameDatabaseDriftOptions
{
    /// <summary>
    /// Rows per chunk (default 64). The check cuts the keys into chunks by a hash of the key, compares each chunk's row count and row hash
    /// on both sides in one pass, and compares row by row only the chunks that differ: smaller chunks mean fewer rows read per drifted
    /// key, more groups in the first pass.
    /// </summary>
    public int ChunkSize { get; set; } = 64;

    /// <summary>
    /// Up to about this many rows per side in the differing chunks, pass 2 streams those rows from both connections at once, sorted
    /// by key identity, and merges them on the client keeping only the keys that differ; above it (drift spread across the table),
    /// one statement joins the chunks on the server. Internal: tests lower it to exercise both paths.
    /// </summary>
    internal long ChunkRowsLimit { get; set; } = 1_000_000;

    /// <summary>Adds every problem of these options to <paramref name="errors"/>.</summary>
    internal void Validate(List<string> errors)
    {
        if (ChunkSize < 1)
        {
            errors.Add($"SameDatabase.ChunkSize is {ChunkSize}: it must be at least 1.");
        }
    }
}
