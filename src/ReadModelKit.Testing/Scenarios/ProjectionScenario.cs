using System.Text;
using ReadModelKit.Changes;
using ReadModelKit.Events;
using ReadModelKit.Npgsql.DeadLetters;
using ReadModelKit.Testing.Harness;
using ReadModelKit.Testing.Postgres;
using ReadModelKit.Testing.Text;

namespace ReadModelKit.Testing.Scenarios;

/// <summary>
/// An example-based test of one projection on a real PostgreSQL: given events (in any order, duplicates allowed), then these rows,
/// no row for that key, that dead letter. <see cref="VerifyAsync"/> applies the events through a real store and reports every
/// mismatch together in one <see cref="ProjectionScenarioException"/>; any dead letter the scenario did not expect is a mismatch too.
/// </summary>
public sealed class ProjectionScenario
{
    private readonly ProjectionSetup _setup;
    private readonly List<EventEnvelope> _given = [];
    private readonly List<(RowKey Key, IReadOnlyDictionary<string, object?> Values, long? Version)> _rows = [];
    private readonly List<RowKey> _noRows = [];
    private readonly List<(Guid EventId, string? ErrorContains)> _deadLetters = [];
    private int _batchSize = int.MaxValue;
    private bool _noOtherRows;

    private ProjectionScenario(ProjectionSetup setup) => _setup = setup;

    /// <summary>Starts a scenario for the projection of <paramref name="setup"/>.</summary>
    /// <param name="setup">The projection, its mapping and its table.</param>
    public static ProjectionScenario For(ProjectionSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        return new ProjectionScenario(setup);
    }

    /// <summary>Events delivered in this order (call again to append); duplicates and any order are allowed.</summary>
    /// <param name="events">The events.</param>
    public ProjectionScenario Given(params EventEnvelope[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        _given.AddRange(events);
        return this;
    }

    /// <summary>Delivers the given events in batches of <paramref name="size"/> (default: all in one batch).</summary>
    /// <param name="size">Events per batch, at least 1.</param>
    public ProjectionScenario InBatchesOf(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _batchSize = size;
        return this;
    }

    /// <summary>Expects a live row for <paramref name="key"/> whose listed columns hold <paramref name="values"/> (other columns are not compared).</summary>
    /// <param name="key">The row key, in key-column order.</param>
    /// <param name="values">Column name → expected value.</param>
    /// <param name="version">The expected version, or null to not compare it.</param>
    public ProjectionScenario ThenRow(RowKey key, IReadOnlyDictionary<string, object?> values, long? version = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(values);
        _rows.Add((key, values, version));
        return this;
    }

    /// <summary>Expects no live row for <paramref name="key"/>: none at all, or a tombstone.</summary>
    /// <param name="key">The row key.</param>
    public ProjectionScenario ThenNoRow(RowKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _noRows.Add(key);
        return this;
    }

    /// <summary>Expects no live rows other than those named by <see cref="ThenRow"/>.</summary>
    public ProjectionScenario ThenNoOtherRows()
    {
        _noOtherRows = true;
        return this;
    }

    /// <summary>Expects the event <paramref name="eventId"/> to be dead-lettered, its error containing <paramref name="errorContains"/> when given.</summary>
    /// <param name="eventId">The event.</param>
    /// <param name="errorContains">Text the recorded error must contain, or null.</param>
    public ProjectionScenario ThenDeadLetter(Guid eventId, string? errorContains = null)
    {
        _deadLetters.Add((eventId, errorContains));
        return this;
    }

    /// <summary>Applies the events on a fresh sandbox (on <paramref name="sandbox"/>, reset first, when given) and checks every expectation.</summary>
    /// <param name="sandbox">A sandbox of the same projection to reuse, or null for a throwaway schema on the shared server.</param>
    /// <param name="cancellationToken">Cancels the scenario.</param>
    /// <exception cref="ProjectionScenarioException">At least one expectation failed; the message lists them all.</exception>
    public async Task VerifyAsync(ProjectionSandbox? sandbox = null, CancellationToken cancellationToken = default)
    {
        if (sandbox is not null)
        {
            await sandbox.ResetAsync(cancellationToken).ConfigureAwait(false);
            await RunAsync(sandbox, cancellationToken).ConfigureAwait(false);
            return;
        }

        var schema = await PostgresTestSchema.CreateAsync(cancellationToken).ConfigureAwait(false);
        await using (schema.ConfigureAwait(false))
        {
            await RunAsync(await ProjectionSandbox.CreateAsync(schema, _setup, "scenario", cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(ProjectionSandbox sandbox, CancellationToken cancellationToken)
    {
        await sandbox.ApplyAsync(_given.Chunk(Math.Min(_batchSize, Math.Max(1, _given.Count))), cancellationToken).ConfigureAwait(false);
        var rows = (await sandbox.ReadRowsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Key, StringComparer.Ordinal);
        var deadLetters = await sandbox.DeadLettersAsync(cancellationToken).ConfigureAwait(false);
        var mismatches = new List<string>();
        CheckRows(rows, mismatches);
        CheckDeadLetters(deadLetters, mismatches);
        if (mismatches.Count == 0)
        {
            return;
        }

        var name = sandbox.Applier.Contract.Name;
        var text = new StringBuilder()
            .AppendLine($"Scenario of projection '{name}' failed: {mismatches.Count} mismatch(es).")
            .AppendLine($"Given ({_given.Count} event(s), delivered in this order{(_batchSize < _given.Count ? $", in batches of {_batchSize}" : ", in one batch")}):")
            .Append(EventText.Lines(_given))
            .AppendLine("Mismatches:");
        foreach (var mismatch in mismatches)
        {
            text.Append("  - ").AppendLine(mismatch);
        }

        text.AppendLine(rows.Count == 0 ? "The table is empty." : "Rows after the events:");
        foreach (var row in rows.Values)
        {
            text.Append("  ").AppendLine(row.ToString());
        }

        throw new ProjectionScenarioException(name, mismatches, text.ToString());
    }

    private void CheckRows(Dictionary<string, ReadModelRow> rows, List<string> mismatches)
    {
        foreach (var (key, values, version) in _rows)
        {
            var expected = $"{key}{(version is { } v ? $" v{v}" : "")} {string.Join(" ", values.Select(x => $"{x.Key}={ReadModelRow.Format(x.Value)}"))}";
            if (!rows.TryGetValue(key.ToString(), out var row) || row.IsTombstone)
            {
                mismatches.Add($"row {key}: expected {expected}, but {(row is null ? "there is no row" : $"it is a tombstone ({row})")}");
                continue;
            }

            var wrong = values.Where(x => !row.Values.TryGetValue(x.Key, out var actual) || ReadModelRow.Format(actual) != ReadModelRow.Format(x.Value))
                .Select(x => row.Values.ContainsKey(x.Key) ? $"{x.Key}={ReadModelRow.Format(row.Values[x.Key])}" : $"{x.Key} is not a mapped value column")
                .ToList();
            if (version is { } expectedVersion && row.Version != expectedVersion)
            {
                wrong.Insert(0, $"version {row.Version}");
            }

            if (wrong.Count > 0)
            {
                mismatches.Add($"row {key}: expected {expected}, but {string.Join(", ", wrong)} (row: {row})");
            }
        }

        foreach (var key in _noRows)
        {
            if (rows.TryGetValue(key.ToString(), out var row) && !row.IsTombstone)
            {
                mismatches.Add($"row {key}: expected no row, but found {row}");
            }
        }

        if (_noOtherRows)
        {
            var named = _rows.Select(r => r.Key.ToString()).ToHashSet(StringComparer.Ordinal);
            foreach (var row in rows.Values.Where(r => !r.IsTombstone && !named.Contains(r.Key)))
            {
                mismatches.Add($"row {row.Key}: expected no other rows, but found {row}");
            }
        }
    }

    private void CheckDeadLetters(IReadOnlyList<DeadLetter> deadLetters, List<string> mismatches)
    {
        foreach (var (eventId, errorContains) in _deadLetters)
        {
            var letter = deadLetters.FirstOrDefault(d => d.Envelope.EventId == eventId);
            var described = _given.FirstOrDefault(e => e.EventId == eventId) is { } e ? EventText.Format(e) : $"event {eventId}";
            if (letter is null)
            {
                mismatches.Add($"dead letter: expected {described} to be dead-lettered, but it was not");
            }
            else if (errorContains is not null && (letter.Error is null || !letter.Error.Contains(errorContains, StringComparison.Ordinal)))
            {
                mismatches.Add($"dead letter of {described}: expected an error containing '{errorContains}', but it was '{letter.Error}'");
            }
        }

        var expectedIds = _deadLetters.Select(d => d.EventId).ToHashSet();
        var expectedKeys = deadLetters.Where(d => expectedIds.Contains(d.Envelope.EventId)).Select(d => d.Envelope.OrderingKey).ToHashSet(StringComparer.Ordinal);
        foreach (var letter in deadLetters.Where(d => !expectedIds.Contains(d.Envelope.EventId)))
        {
            if (letter.Status == "parked" && expectedKeys.Contains(letter.Envelope.OrderingKey))
            {
                continue;
            }

            mismatches.Add($"unexpected dead letter ({letter.Status}): {EventText.Format(letter.Envelope)}: {letter.Error}");
        }
    }
}
