namespace ReadModelKit.Npgsql.Drift;

/// <summary>
/// Collects the differences a check finds, from one or several workers, with memory bounded by the options: counts by kind,
/// a few examples, incidents written in batches as they are confirmed, and the candidates found while the projection was behind.
/// </summary>
internal sealed class DriftSink
{
    private const int FlushEvery = 500;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly DriftCheckOptions _options;
    private readonly Func<IReadOnlyList<DriftDifference>, CancellationToken, Task<long>>? _record;
    private readonly List<DriftDifference> _pending = [];
    private readonly List<DriftDifference> _samples = [];
    private long _accepted;
    private long _checked;
    private long _ranges;
    private long _bytes;

    /// <param name="options">The check's options (limits).</param>
    /// <param name="record">Writes incidents and returns how many; null when incidents are not recorded.</param>
    public DriftSink(DriftCheckOptions options, Func<IReadOnlyList<DriftDifference>, CancellationToken, Task<long>>? record)
    {
        _options = options;
        _record = record;
    }

    /// <summary>
    /// Whether differences are confirmed drift (the pass was caught up) or only candidates to re-check; set by <see cref="Begin"/>.
    /// </summary>
    public bool Confirming { get; private set; } = true;

    /// <summary>
    /// Starts taking the differences of a detection pass: confirmed when the pass was caught up (or is not lag-aware), else candidates.
    /// Detectors call it once they have read the pass's positions, before handing over any difference.
    /// </summary>
    public void Begin(DriftPass pass) => Confirming = pass.CaughtUp;

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

    /// <summary>Rows compared.</summary>
    public long CheckedRows => Interlocked.Read(ref _checked);

    /// <summary>Ranges compared.</summary>
    public long Ranges => Interlocked.Read(ref _ranges);

    /// <summary>Approximate bytes received.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The examples kept.</summary>
    public IReadOnlyList<DriftDifference> Samples => _samples;

    /// <summary>Counts compared rows.</summary>
    public void AddChecked(long rows) => Interlocked.Add(ref _checked, rows);

    /// <summary>Counts compared ranges.</summary>
    public void AddRanges(long ranges) => Interlocked.Add(ref _ranges, ranges);

    /// <summary>Counts received bytes.</summary>
    public void AddBytes(long bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>Takes differences as found: confirmed or kept as candidates, depending on <see cref="Confirming"/>.</summary>
    public async Task AddAsync(IReadOnlyList<DriftDifference> differences, CancellationToken cancellationToken)
    {
        if (differences.Count == 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Confirming)
            {
                await AcceptAsync(differences, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                CandidatesFound += differences.Count;
                Candidates.AddRange(differences.Take(_options.MaxCandidates - Candidates.Count));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes candidates that re-checks confirmed.</summary>
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
        foreach (var difference in differences)
        {
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
