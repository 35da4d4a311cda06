using System.Globalization;
using System.Text;

namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// The outcome of one drift check: counts by kind, example differences, duration and whether the projection was clean.
/// A host can log it (<see cref="ToString"/>) or return it from an operations endpoint.
/// </summary>
public sealed record DriftReport
{
    /// <summary>The projection checked.</summary>
    public required string ProjectionName { get; init; }

    /// <summary>Same database (chunked join) or cross database (block hashing).</summary>
    public required DriftStrategy Strategy { get; init; }

    /// <summary>Full or sample.</summary>
    public required DriftCheckMode Mode { get; init; }

    /// <summary>The keys checked.</summary>
    public required DriftScope Scope { get; init; }

    /// <summary>The row hash a cross-database check used; null for a same-database check.</summary>
    public DriftRowHash? RowHash { get; init; }

    /// <summary>When the check started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the check took, including waiting for the projection to catch up.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Keys compared: live read-model rows in scope plus rows missing from the read model.</summary>
    public required long CheckedRows { get; init; }

    /// <summary>Confirmed keys the source has and the read model lacks.</summary>
    public required long Missing { get; init; }

    /// <summary>Confirmed live read-model rows the source does not have.</summary>
    public required long Extra { get; init; }

    /// <summary>Confirmed keys whose mapped values differ.</summary>
    public required long Changed { get; init; }

    /// <summary>Differences first seen while the projection was behind its source (candidates), confirmed or not.</summary>
    public long Candidates { get; init; }

    /// <summary>Candidates that were neither confirmed nor cleared within the re-check rounds; they are not recorded.</summary>
    public long Unconfirmed { get; init; }

    /// <summary>Incidents written (new or refreshed).</summary>
    public long IncidentsRecorded { get; init; }

    /// <summary>Whether more drift was found than <see cref="DriftCheckOptions.MaxIncidents"/> allowed to record.</summary>
    public bool IncidentsTruncated { get; init; }

    /// <summary>Approximate bytes of row data received from the servers (keys, hashes, boundaries, differing rows).</summary>
    public long BytesReceived { get; init; }

    /// <summary>Key-range chunks (same database) or blocks (cross database) compared.</summary>
    public long RangesCompared { get; init; }

    /// <summary>Example differences (at most <see cref="DriftCheckOptions.MaxSamples"/>).</summary>
    public required IReadOnlyList<DriftDifference> Samples { get; init; }

    /// <summary>Confirmed differences.</summary>
    public long Total => Missing + Extra + Changed;

    /// <summary>Whether nothing drifted and no candidate is left unconfirmed.</summary>
    public bool Clean => Total == 0 && Unconfirmed == 0;

    /// <summary>Confirmed differences as a share of <see cref="CheckedRows"/> (0 to 1).</summary>
    public double DriftShare => CheckedRows == 0 ? (Total == 0 ? 0 : 1) : Math.Min(1, (double)Total / CheckedRows);

    /// <summary>A few lines for a log or a console.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.Append(invariant, $"Drift check of {ProjectionName} ({Strategy}, {Mode}, {Scope}{(RowHash is { } h ? ", row hash " + h : "")}): ");
        text.Append(Clean ? "clean" : "DRIFT").Append(invariant, $" in {Duration.TotalMilliseconds:0} ms, {CheckedRows} row(s) checked");
        text.AppendLine();
        text.Append(invariant, $"  missing {Missing}, extra {Extra}, changed {Changed}, share {DriftShare * 100:0.###}%; candidates {Candidates}, unconfirmed {Unconfirmed}; incidents recorded {IncidentsRecorded}{(IncidentsTruncated ? " (truncated)" : "")}; {RangesCompared} range(s), ~{BytesReceived} byte(s) received");
        foreach (var sample in Samples)
        {
            text.AppendLine().Append("  ").Append(sample);
        }

        return text.ToString();
    }
}
