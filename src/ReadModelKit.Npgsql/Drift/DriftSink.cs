namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Collects the differences a check finds, from one or several workers, with memory bounded by the options: counts by kind,
/// a few examples, incidents written in batches as they are confirmed, and the candidates found while the projection was behind.
/// The caller says which is which (<see cref="ConfirmAsync"/>, <see cref="KeepCandidatesAsync"/>) from the pass it opened.
/// Every confirmed difference passes through the mask before it becomes an example or an incident, so masked columns leave the
/// check only as digests; candidates stay unmasked in memory, where re-checks compare them.
/// </summary>
internal sealed class DriftSink
{
    private const int FlushEvery = 500;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DriftCheckOptions _options;
    private readonly Func<IReadOnlyList<DriftDifference>, CancellationToken, Task<long>>? _record;
    private readonly Func<DriftDifference, DriftDifference> _mask;
    private readonly List<DriftDifference> _pending = [];
    private readonly List<DriftDifference> _samples = [];
    private long _accepted;

    /// <param name="options">The check's options (limits).</param>
    /// <param name="record">Writes incidents and returns how many; null when incidents are not recorded.</param>
    /// <param name="mask">Masks the personal data of a confirmed difference; null to keep differences as found.</param>
    public DriftSink(DriftCheckOptions options, Func<IReadOnlyList<DriftDifference>, CancellationToken, Task<long>>? record, Func<DriftDifference, DriftDifference>? mask = null)
    {
        _options = options;
        _record = record;
        _mask = mask ?? (d => d);
    }

    /// <summary>Confirmed missing keys.</summary>
    public long Missing { get; private set; }

    /// <summary>Confirmed extra keys.</summary>
    public long Extra { get; private set; }

    /// <summary>Confirmed changed keys.</summary>
    public long Changed { get; private set; }

    /// <summary>Candidates kept for re-checking.</summary>
    public List<DriftDifference> Candidates { get; } = [];

    /// <summary>Candidates found, including those beyond <see cref="DriftCheckOptions.MaxCandidates"/>.</summary>
    public long CandidatesFound { get; private set; }

    /// <summary>Incidents written.</summary>
    public long Recorded { get; private set; }

    /// <summary>Whether some confirmed drift was not recorded because of <see cref="DriftCheckOptions.MaxIncidents"/>.</summary>
    public bool Truncated { get; private set; }

    /// <summary>The examples kept.</summary>
    public IReadOnlyList<DriftDifference> Samples => _samples;

    /// <summary>Keeps differences seen while the projection was behind as candidates to re-check (at most <see cref="DriftCheckOptions.MaxCandidates"/>).</summary>
    public async Task KeepCandidatesAsync(IReadOnlyList<DriftDifference> differences, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CandidatesFound += differences.Count;
            Candidates.AddRange(differences.Take(_options.MaxCandidates - Candidates.Count));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes confirmed drift: differences of a caught-up pass, or candidates that re-checks confirmed.</summary>
    public async Task ConfirmAsync(IReadOnlyList<DriftDifference> differences, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AcceptAsync(differences, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes the incidents still buffered.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WritePendingAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task AcceptAsync(IReadOnlyList<DriftDifference> differences, CancellationToken cancellationToken)
    {
        foreach (var found in differences)
        {
            var difference = _mask(found);
            switch (difference.Kind)
            {
                case DriftKind.Missing:
                    Missing++;
                    break;
                case DriftKind.Extra:
                    Extra++;
                    break;
                default:
                    Changed++;
                    break;
            }

            if (_samples.Count < _options.MaxSamples)
            {
                _samples.Add(difference);
            }

            if (_record is null)
            {
                continue;
            }

            if (_accepted++ < _options.MaxIncidents)
            {
                _pending.Add(difference);
            }
            else
            {
                Truncated = true;
            }
        }

        if (_pending.Count >= FlushEvery)
        {
            await WritePendingAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WritePendingAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0 || _record is null)
        {
            return;
        }

        Recorded += await _record(_pending.ToList(), cancellationToken).ConfigureAwait(false);
        _pending.Clear();
    }
}
