using System.Text;
using ReadModelKit.Changes;
using ReadModelKit.Events;
using ReadModelKit.Testing.Harness;
using ReadModelKit.Testing.Text;

namespace ReadModelKit.Testing.Laws;

/// <summary>
/// Runs one law on one case. The oracle is always the same, independent delivery: a fresh projection instance applies the
/// history once, in version order, one event per batch, in a sandbox of its own; each law delivers the same history its own
/// way into the subject sandbox and compares.
/// </summary>
internal sealed class LawRun(ProjectionSandbox oracle, ProjectionSandbox subject, ProjectionSandbox rebuild)
{
    /// <summary>Cases in which some row's newest change was a tombstone (the no-resurrection law had something to check).</summary>
    public int CasesWithTombstones { get; private set; }

    /// <summary>Returns null when the law holds, else the report of this case.</summary>
    public async Task<string?> CheckAsync(ProjectionLaw law, LawCase c, CancellationToken cancellationToken)
    {
        await oracle.ResetAsync(cancellationToken).ConfigureAwait(false);
        var oneByOne = c.InOrder.Select(e => (IReadOnlyList<EventEnvelope>)[e]).ToList();
        await oracle.ApplyAsync(oneByOne, cancellationToken).ConfigureAwait(false);
        var expected = await oracle.ReadRowsAsync(cancellationToken).ConfigureAwait(false);
        const string OracleName = "the history applied once, in version order, one event per batch, by a fresh projection";

        await subject.ResetAsync(cancellationToken).ConfigureAwait(false);
        switch (law)
        {
            case ProjectionLaw.Idempotence:
            {
                var delivery = c.Split(c.InOrder).SelectMany(b => new IReadOnlyList<EventEnvelope>[] { b, b }).ToList();
                if (c.Duplicates.Length > 0)
                {
                    delivery.Add(c.Duplicates);
                }

                return await CompareAsync(subject, delivery, c, expected, OracleName, "every batch delivered twice in a row, then the duplicated events again", cancellationToken).ConfigureAwait(false);
            }

            case ProjectionLaw.OrderInsensitivity:
                return await CompareAsync(subject, c.Permutation.Select(e => (IReadOnlyList<EventEnvelope>)[e]).ToList(), c, expected, OracleName, "the same events in another order, one per batch", cancellationToken).ConfigureAwait(false);

            case ProjectionLaw.BatchSplitInvariance:
                return await CompareAsync(subject, c.Split(c.InOrder).Cast<IReadOnlyList<EventEnvelope>>().ToList(), c, expected, OracleName, "the in-order history split into batches", cancellationToken).ConfigureAwait(false);

            case ProjectionLaw.NoResurrection:
                return await CheckNoResurrectionAsync(c, expected, cancellationToken).ConfigureAwait(false);

            case ProjectionLaw.RebuildEquivalence:
            {
                var incremental = c.Split([.. c.Permutation, .. c.Duplicates]).Cast<IReadOnlyList<EventEnvelope>>().ToList();
                await subject.ApplyAsync(incremental, cancellationToken).ConfigureAwait(false);
                var applied = await subject.ReadRowsAsync(cancellationToken).ConfigureAwait(false);
                await rebuild.ResetAsync(subject.Projection, cancellationToken).ConfigureAwait(false);
                await rebuild.ApplyAsync([c.InOrder], cancellationToken).ConfigureAwait(false);
                var rebuilt = await rebuild.ReadRowsAsync(cancellationToken).ConfigureAwait(false);
                var diff = Diff(applied, rebuilt);
                return diff is null ? null : Report(c, incremental, "incrementally (in another order, in batches, with duplicates)", "the rows of that incremental delivery; actual: the history replayed from scratch in one batch by the same projection instance (a rebuild)", diff);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(law), law, "Unknown law.");
        }
    }

    private async Task<string?> CheckNoResurrectionAsync(LawCase c, IReadOnlyList<ReadModelRow> expected, CancellationToken cancellationToken)
    {
        // Which rows end deleted, by the projection's own changes: per row key, the change with the highest version (the later one on a tie).
        var changes = c.InOrder
            .SelectMany((e, order) => (oracle.ProjectedChanges.TryGetValue(e.EventId, out var cs) ? cs : []).Select(change => (Event: e, order, Change: change)))
            .Where(x => x.Change.Kind != RowChangeKind.Recompute)
            .GroupBy(x => x.Change.Key.ToString())
            .Select(g => g.OrderBy(x => x.Change.Version).ThenBy(x => x.order).Last())
            .Where(x => x.Change.Kind == RowChangeKind.Tombstone)
            .ToDictionary(x => x.Change.Key.ToString(), x => x);
        if (changes.Count == 0)
        {
            return null;
        }

        CasesWithTombstones++;
        var inOrderLive = Live(expected, changes);
        if (inOrderLive.Count > 0)
        {
            return Report(c, c.InOrder.Select(e => (IReadOnlyList<EventEnvelope>)[e]).ToList(), "in version order", null, inOrderLive);
        }

        var deletes = c.InOrder.Where(e => changes.Values.Any(x => x.Event.EventId == e.EventId)).ToList();
        var delivery = deletes.Concat(Enumerable.Reverse(c.InOrder).Except(deletes)).Select(e => (IReadOnlyList<EventEnvelope>)[e]).ToList();
        await subject.ApplyAsync(delivery, cancellationToken).ConfigureAwait(false);
        var live = Live(await subject.ReadRowsAsync(cancellationToken).ConfigureAwait(false), changes);
        return live.Count == 0 ? null : Report(c, delivery, "the deletes first, then the older events newest first, one per batch", null, live);

        List<string> Live(IReadOnlyList<ReadModelRow> rows, Dictionary<string, (EventEnvelope Event, int order, RowChange Change)> deleted) =>
            rows.Where(r => !r.IsTombstone && deleted.ContainsKey(r.Key))
                .Select(r => $"row {r.Key} is shown: {r}, although its newest change is a tombstone at v{deleted[r.Key].Change.Version} from {EventText.Format(deleted[r.Key].Event)}")
                .ToList();
    }

    private static async Task<string?> CompareAsync(ProjectionSandbox sandbox, List<IReadOnlyList<EventEnvelope>> delivery, LawCase c, IReadOnlyList<ReadModelRow> expected, string expectedName, string deliveryName, CancellationToken cancellationToken)
    {
        await sandbox.ApplyAsync(delivery, cancellationToken).ConfigureAwait(false);
        var diff = Diff(expected, await sandbox.ReadRowsAsync(cancellationToken).ConfigureAwait(false));
        return diff is null ? null : Report(c, delivery, deliveryName, expectedName, diff);
    }

    /// <summary>The rows that differ, as <c>expected … / actual …</c> lines, or null when the tables are equal.</summary>
    private static List<string>? Diff(IReadOnlyList<ReadModelRow> expected, IReadOnlyList<ReadModelRow> actual)
    {
        var left = expected.ToDictionary(r => r.Key, r => r.ToString(), StringComparer.Ordinal);
        var right = actual.ToDictionary(r => r.Key, r => r.ToString(), StringComparer.Ordinal);
        var lines = new List<string>();
        foreach (var key in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            var l = left.GetValueOrDefault(key);
            var r = right.GetValueOrDefault(key);
            if (!string.Equals(l, r, StringComparison.Ordinal))
            {
                lines.Add($"row {key}:{Environment.NewLine}      expected {l ?? "no row"}{Environment.NewLine}      actual   {r ?? "no row"}");
            }
        }

        return lines.Count == 0 ? null : lines;
    }

    private static string Report(LawCase c, IEnumerable<IReadOnlyList<EventEnvelope>> delivery, string deliveryName, string? expectedName, List<string> differences)
    {
        var text = new StringBuilder()
            .AppendLine($"History ({c.History.Length} event(s), as the source wrote them):")
            .Append(EventText.Lines(c.History))
            .AppendLine($"Delivered {deliveryName}, as batches of event numbers: {EventText.Batches(delivery, c.History)}");
        if (expectedName is not null)
        {
            text.AppendLine($"Expected: {expectedName}.");
        }

        text.AppendLine("Rows that differ:");
        foreach (var line in differences)
        {
            text.Append("  ").AppendLine(line);
        }

        return text.ToString();
    }
}
